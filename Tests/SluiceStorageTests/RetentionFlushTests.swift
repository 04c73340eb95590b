import Foundation
import KafkaProtocol
@testable import SluiceStorage
import SluiceBase
import Testing

@Suite struct RetentionFlushTests {
    /// 12 segments of 3 batches, batch i with timestamp 10_000 + 1_000 i.
    func filled(_ dir: TempDirectory, configure: (inout LogConfig) -> Void = { _ in }) throws -> DiskPartitionLog {
        var config = TestLog.config(segmentBytes: 1000)
        configure(&config)
        let log = try TestLog.open(dir.path, config: config)
        for i in 0..<36 {
            _ = try log.appendAsLeader([Batches.sized(300, tag: "\(i % 10)", timestamp: 10_000 + 1_000 * Int64(i))],
                                       leaderEpoch: 0, now: 0)
        }
        log.updateHighWatermark(log.logEndOffset)
        return log
    }

    @Test func retentionMsDeletesWholeOldSegments() throws {
        let dir = TempDirectory()
        let log = try filled(dir) { $0.retentionMs = 10_000 }
        #expect(log.segmentCount == 12)
        // Segment k holds batches 3k...3k+2, newest timestamp 12_000 + 3_000 k.
        // Segments 0...2 have nothing newer than 18_000: more than 10 s before 30_000.
        #expect(try log.deleteOldSegments(now: 30_000) == 3)
        #expect(log.logStartOffset == 9)
        #expect(throws: StorageError.self) { _ = try log.read(from: 8, maxBytes: 100, maxOffset: .max, minOneBatch: true) }
        #expect(try Fetched.read(log, from: 9).first?.baseOffset == 9)
        // Everything expired: the active segment goes too, replaced by an empty one at the end.
        #expect(try log.deleteOldSegments(now: 1_000_000) == 9)
        #expect(log.logStartOffset == 36 && log.logEndOffset == 36 && log.segmentBaseOffsets == [36])
        let next = try log.appendAsLeader([Batches.make(["new"])], leaderEpoch: 0, now: 0)
        #expect(next.firstOffset == 36)
    }

    @Test func retentionNeverPassesTheHighWatermark() throws {
        let dir = TempDirectory()
        let log = try filled(dir) { $0.retentionMs = 0 }
        log.updateHighWatermark(7)
        // Only segments wholly below the high watermark (ending at 3 and 6) may go.
        #expect(try log.deleteOldSegments(now: 1_000_000) == 2)
        #expect(log.logStartOffset == 6)
    }

    @Test func retentionBytesKeepsTheLogUnderTheLimit() throws {
        let dir = TempDirectory()
        let log = try filled(dir) { $0.retentionBytes = 3_000 }
        let segmentSize = log.sizeInBytes / 12
        #expect(try log.deleteOldSegments(now: 0) > 0)
        #expect(log.sizeInBytes <= 3_000 + segmentSize)
        #expect(log.sizeInBytes > 3_000 - segmentSize)
        // compact-only topics keep everything.
        var config = log.config
        config.cleanupPolicy = .compact
        config.retentionBytes = 0
        log.updateConfig(config)
        #expect(try log.deleteOldSegments(now: 0) == 0)
    }

    @Test func deleteRecordsMovesTheStartAndIsCheckpointed() throws {
        let dir = TempDirectory()
        let tp = TopicPartition("t", 0)
        do {
            let manager = try LogManager(directory: dir.path, defaults: TestLog.config(segmentBytes: 1000), logger: TestLog.logger)
            let log = try manager.getOrCreateLog(for: tp, config: TestLog.config(segmentBytes: 1000))
            for i in 0..<12 { _ = try log.appendAsLeader([Batches.sized(300, tag: "\(i % 10)")], leaderEpoch: 0, now: 0) }
            #expect(throws: StorageError.offsetOutOfRange(requested: 5, logStart: 0, logEnd: 0)) { try log.deleteRecords(before: 5) }
            log.updateHighWatermark(12)
            try log.deleteRecords(before: 7)
            #expect(log.logStartOffset == 7)
            #expect((log as! DiskPartitionLog).segmentBaseOffsets.first! <= 7)
            #expect(try Fetched.read(log, from: 7).first?.baseOffset == 7)
            // A crash right after: the new start was checkpointed at once.
            manager.diskLog(for: tp)!.closeWithoutFlush()
        }
        let manager = try LogManager(directory: dir.path, defaults: TestLog.config(segmentBytes: 1000), logger: TestLog.logger)
        #expect(manager.log(for: tp)?.logStartOffset == 7)
        manager.shutdown()
    }

    @Test func retentionRunsInTheBackground() throws {
        let dir = TempDirectory()
        var config = TestLog.config(segmentBytes: 1000)
        config.retentionMs = 1_000
        let manager = try LogManager(directory: dir.path, defaults: config, logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: TopicPartition("t", 0), config: config)
        for i in 0..<12 { _ = try log.appendAsLeader([Batches.sized(300, tag: "\(i % 10)", timestamp: 1_000)], leaderEpoch: 0, now: 0) }
        log.updateHighWatermark(12)
        var settings = BackgroundSettings()
        settings.retentionCheckIntervalMs = 20
        manager.startBackgroundTasks(settings)
        defer { manager.shutdown() }
        let deadline = Date().addingTimeInterval(20)
        while log.logStartOffset < 12 && Date() < deadline { usleep(10_000) }
        #expect(log.logStartOffset == 12)
    }

    @Test func flushMessagesAndFlushMsMoveTheRecoveryPoint() throws {
        let dir = TempDirectory()
        var config = TestLog.config()
        config.flushMessages = 3
        let log = try TestLog.open(dir.sub("messages"), config: config)
        _ = try log.appendAsLeader([Batches.make(["a", "b"])], leaderEpoch: 0, now: 0)
        #expect(log.recoveryPoint == 0)
        _ = try log.appendAsLeader([Batches.make(["c"])], leaderEpoch: 0, now: 0)
        #expect(log.recoveryPoint == 3)

        var timed = TestLog.config()
        timed.flushMs = 10
        let manager = try LogManager(directory: dir.sub("ms"), defaults: timed, logger: TestLog.logger)
        let log2 = try manager.getOrCreateLog(for: TopicPartition("t", 0), config: timed)
        _ = try log2.appendAsLeader([Batches.make(["a"])], leaderEpoch: 0, now: 0)
        var settings = BackgroundSettings()
        settings.flushCheckIntervalMs = 10
        manager.startBackgroundTasks(settings)
        defer { manager.shutdown() }
        let deadline = Date().addingTimeInterval(20)
        while (log2 as! DiskPartitionLog).recoveryPoint < 1 && Date() < deadline { usleep(10_000) }
        #expect((log2 as! DiskPartitionLog).recoveryPoint == 1)
    }
}
