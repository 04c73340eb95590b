import KafkaProtocol
@testable import SluiceStorage
import SluiceBase
import Testing

@Suite struct ProducerStateTests {
    func batch(seq: Int32, count: Int = 2, pid: Int64 = 42, epoch: Int16 = 0) -> RecordBatch {
        Batches.make((0..<count).map { "p\(seq)-\($0)" }, producerId: pid, producerEpoch: epoch, baseSequence: seq)
    }

    @Test func retriedBatchesAreDuplicatesWithTheirOriginalOffsets() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([Batches.make(["other"])], leaderEpoch: 0, now: 0)
        let first = try log.appendAsLeader([batch(seq: 0)], leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader([batch(seq: 2)], leaderEpoch: 0, now: 0)
        #expect(first.firstOffset == 1 && first.lastOffset == 2)
        do {
            _ = try log.appendAsLeader([batch(seq: 0)], leaderEpoch: 0, now: 0)
            Issue.record("a retried batch must be reported as a duplicate")
        } catch let LogAppendError.duplicate(info) {
            #expect(info.firstOffset == 1 && info.lastOffset == 2)
            #expect(LogAppendError.duplicate(info).errorCode == .noError)
        }
        #expect(log.logEndOffset == 5)
    }

    @Test func sequenceGapsAndOldEpochsAreRejected() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([batch(seq: 0, epoch: 1)], leaderEpoch: 0, now: 0)
        #expect(throws: LogAppendError.outOfOrderSequence(expected: 2, received: 3)) {
            try log.appendAsLeader([batch(seq: 3, epoch: 1)], leaderEpoch: 0, now: 0)
        }
        #expect(throws: LogAppendError.invalidProducerEpoch(current: 1, received: 0)) {
            try log.appendAsLeader([batch(seq: 2, epoch: 0)], leaderEpoch: 0, now: 0)
        }
        // A bumped epoch starts again at sequence 0.
        #expect(throws: LogAppendError.outOfOrderSequence(expected: 0, received: 2)) {
            try log.appendAsLeader([batch(seq: 2, epoch: 2)], leaderEpoch: 0, now: 0)
        }
        _ = try log.appendAsLeader([batch(seq: 0, epoch: 2)], leaderEpoch: 0, now: 0)
        // An unknown producer may start anywhere (its state may have been lost to retention).
        _ = try log.appendAsLeader([batch(seq: 77, pid: 9)], leaderEpoch: 0, now: 0)
        #expect(log.logEndOffset == 6)
        #expect(LogAppendError.outOfOrderSequence(expected: 0, received: 2).errorCode == .outOfOrderSequenceNumber)
    }

    @Test func onlyTheLastFiveBatchesAreRemembered() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        for i in 0..<7 { _ = try log.appendAsLeader([batch(seq: Int32(i) * 2)], leaderEpoch: 0, now: 0) }
        // Batches 2...6 (sequences 4...13) are duplicates; older ones are out of order.
        #expect(throws: LogAppendError.self) { try log.appendAsLeader([batch(seq: 4)], leaderEpoch: 0, now: 0) }
        do {
            _ = try log.appendAsLeader([batch(seq: 4)], leaderEpoch: 0, now: 0)
        } catch let LogAppendError.duplicate(info) {
            #expect(info.firstOffset == 4)
        }
        #expect(throws: LogAppendError.outOfOrderSequence(expected: 14, received: 2)) {
            try log.appendAsLeader([batch(seq: 2)], leaderEpoch: 0, now: 0)
        }
    }

    @Test func sequencesWrapAtInt32Max() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([batch(seq: Int32.max - 1, count: 2)], leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader([batch(seq: 0)], leaderEpoch: 0, now: 0)
        #expect(log.logEndOffset == 4)
    }

    @Test(arguments: [false, true])
    func stateIsRebuiltAfterRestart(clean: Bool) throws {
        let dir = TempDirectory()
        let config = TestLog.config(segmentBytes: 600)
        do {
            let log = try TestLog.open(dir.path, config: config)
            for i in 0..<8 {
                _ = try log.appendAsLeader([batch(seq: Int32(i) * 2)], leaderEpoch: 0, now: 0)
                _ = try log.appendAsLeader([Batches.make(["filler\(i)"])], leaderEpoch: 0, now: 0)
            }
            #expect(log.segmentCount > 2)
            if clean { try log.close() } else { log.closeWithoutFlush() }
        }
        if !clean {
            // Without snapshots the whole log is replayed.
            for name in try Posix.listDirectory(dir.path) where name.hasSuffix(".snapshot") {
                try Posix.unlinkIfPresent(dir.sub(name))
            }
        }
        let log = try TestLog.open(dir.path, config: config, clean: clean, recoveryPoint: clean ? nil : 0)
        do {
            _ = try log.appendAsLeader([batch(seq: 14)], leaderEpoch: 0, now: 0)
            Issue.record("the last batch must still be known after a restart")
        } catch let LogAppendError.duplicate(info) {
            #expect(info.firstOffset == 21)
        }
        #expect(throws: LogAppendError.outOfOrderSequence(expected: 16, received: 17)) {
            try log.appendAsLeader([batch(seq: 17)], leaderEpoch: 0, now: 0)
        }
        _ = try log.appendAsLeader([batch(seq: 16)], leaderEpoch: 0, now: 0)
    }

    @Test func truncationForgetsTruncatedBatches() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        _ = try log.appendAsLeader([batch(seq: 0)], leaderEpoch: 0, now: 0)
        _ = try log.appendAsLeader([batch(seq: 2)], leaderEpoch: 0, now: 0)
        try log.truncate(to: 2)
        // Sequence 2 is no longer in the log: it is the next expected, not a duplicate.
        let info = try log.appendAsLeader([batch(seq: 2)], leaderEpoch: 1, now: 0)
        #expect(info.firstOffset == 2)
    }

    @Test func snapshotsRoundTrip() throws {
        var table = ProducerStateTable()
        var entry = ProducerStateEntry(producerId: 5, producerEpoch: 3, lastTimestamp: 99)
        entry.batches = [ProducerBatchMetadata(firstSequence: 0, lastSequence: 4, lastOffset: 10, offsetDelta: 4, timestamp: 99)]
        table.set(entry)
        let bytes = ProducerStateSnapshot.encode(table)
        #expect(ProducerStateSnapshot.decode(bytes) == table)
        var damaged = bytes
        damaged[damaged.count - 1] ^= 1
        #expect(ProducerStateSnapshot.decode(damaged) == nil)
        #expect(ProducerStateSnapshot.decode(Array(bytes.prefix(12))) == nil)
    }
}
