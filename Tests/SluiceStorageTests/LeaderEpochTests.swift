import Foundation
import KafkaProtocol
@testable import SluiceStorage
import Testing

@Suite struct LeaderEpochTests {
    @Test func endOffsetForLeaderEpochFollowsKafka() {
        let cache = LeaderEpochCache(entries: [.init(epoch: 2, startOffset: 10), .init(epoch: 5, startOffset: 40),
                                               .init(epoch: 7, startOffset: 90)])
        // The latest epoch ends at the log end.
        #expect(cache.endOffset(for: 7, logEndOffset: 120)! == (7, 120))
        // An epoch ends where the next known one starts; an unknown epoch answers the largest
        // known epoch below it.
        #expect(cache.endOffset(for: 5, logEndOffset: 120)! == (5, 90))
        #expect(cache.endOffset(for: 6, logEndOffset: 120)! == (5, 90))
        #expect(cache.endOffset(for: 3, logEndOffset: 120)! == (2, 40))
        // Below every known epoch: the requested epoch and the first start offset.
        #expect(cache.endOffset(for: 1, logEndOffset: 120)! == (1, 10))
        // Above the latest, or undefined: nothing (UNDEFINED_EPOCH_OFFSET).
        #expect(cache.endOffset(for: 8, logEndOffset: 120) == nil)
        #expect(cache.endOffset(for: -1, logEndOffset: 120) == nil)
        #expect(LeaderEpochCache().endOffset(for: 0, logEndOffset: 0) == nil)
    }

    @Test func theCacheIsTruncatedWithTheLogAndCheckpointed() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        for epoch: Int32 in [1, 1, 3, 3, 4] { _ = try log.appendAsLeader([Batches.make(["e\(epoch)"])], leaderEpoch: epoch, now: 0) }
        #expect(log.leaderEpochs.map(\.epoch) == [1, 3, 4])
        #expect(log.endOffset(forLeaderEpoch: 3)! == (3, 4))
        let text = String(decoding: try #require(try AtomicFile.read(dir.sub("leader-epoch-checkpoint"))), as: UTF8.self)
        #expect(text == "0\n3\n1 0\n3 2\n4 4\n")
        // A stale leader cannot append.
        #expect(throws: StorageError.fencedLeaderEpoch(requested: 2, latest: 4)) {
            try log.appendAsLeader([Batches.make(["old"])], leaderEpoch: 2, now: 0)
        }
        // Follower truncation to the divergence point, then the new leader's batches.
        try log.truncate(to: 3)
        #expect(log.logEndOffset == 3)
        #expect(log.leaderEpochs.map(\.epoch) == [1, 3])
        var batch = Batches.make(["from-leader"])
        batch.setBaseOffset(3)
        batch.setPartitionLeaderEpoch(6)
        _ = try log.appendAsFollower([batch])
        #expect(log.leaderEpochs.map(\.epoch) == [1, 3, 6])
        #expect(log.endOffset(forLeaderEpoch: 4)! == (3, 3))
        log.closeWithoutFlush()
        let reopened = try TestLog.open(dir.path)
        #expect(reopened.leaderEpochs.map(\.epoch) == [1, 3, 6])
        #expect(reopened.leaderEpochs.map(\.startOffset) == [0, 2, 3])
        // DeleteRecords moves the first epoch's start.
        reopened.updateHighWatermark(4)
        try reopened.deleteRecords(before: 3)
        #expect(reopened.leaderEpochs.map(\.startOffset) == [3])
    }

    @Test func aFollowerStartsOverAtTheLeadersLogStart() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Batches.make(["a"])], leaderEpoch: 0, now: 0)
        try log.truncateFullyAndStart(at: 500)
        #expect(log.logStartOffset == 500 && log.logEndOffset == 500 && log.segmentBaseOffsets == [500])
        var batch = Batches.make(["b"])
        batch.setBaseOffset(500)
        batch.setPartitionLeaderEpoch(2)
        _ = try log.appendAsFollower([batch])
        #expect(try Fetched.read(log, from: 500).first?.baseOffset == 500)
        log.closeWithoutFlush()
        #expect(try TestLog.open(dir.path, logStart: 500).logEndOffset == 501)
    }
}
