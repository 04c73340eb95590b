import KafkaProtocol
@testable import SluiceStorage
import SluiceBase
import Testing

@Suite struct LogManagerTests {
    @Test func createsReloadsAndDeletesLogs() throws {
        let dir = TempDirectory()
        let a = TopicPartition("orders", 0)
        let b = TopicPartition("orders-eu", 3)
        do {
            let manager = try LogManager(directory: dir.path, defaults: LogConfig(), logger: TestLog.logger)
            let log = try manager.getOrCreateLog(for: a, config: TestLog.config())
            #expect(try manager.getOrCreateLog(for: a, config: LogConfig()) === log)
            _ = try log.appendAsLeader([Batches.make(["1", "2"])], leaderEpoch: 0, now: 0)
            log.updateHighWatermark(2)
            _ = try manager.getOrCreateLog(for: b, config: TestLog.config())
            #expect(manager.log(for: TopicPartition("nope", 0)) == nil)
            #expect(throws: StorageError.self) { try manager.getOrCreateLog(for: TopicPartition("../x", 0), config: LogConfig()) }
            manager.shutdown()
        }
        #expect(Posix.fileExists(dir.sub(LogManager.cleanShutdownMarker)))
        let manager = try LogManager(directory: dir.path, defaults: LogConfig(), logger: TestLog.logger)
        // The marker is consumed by the start: a crash from now on is unclean.
        #expect(!Posix.fileExists(dir.sub(LogManager.cleanShutdownMarker)))
        #expect(Set(manager.allLogs.keys) == [a, b])
        let log = try #require(manager.log(for: a))
        #expect(log.logEndOffset == 2 && log.highWatermark == 2)
        #expect(try Fetched.values(log) == ["1", "2"])
        try manager.deleteLog(for: b)
        #expect(manager.log(for: b) == nil)
        #expect(!Posix.fileExists(dir.sub("orders-eu-3")))
        manager.shutdown()
        let again = try LogManager(directory: dir.path, defaults: LogConfig(), logger: TestLog.logger)
        #expect(Set(again.allLogs.keys) == [a])
        again.shutdown()
    }

    @Test func checkpointsUseKafkasFormat() throws {
        let text = OffsetCheckpointFile.encode([TopicPartition("a", 1): 10, TopicPartition("a", 0): 5])
        #expect(text == "0\n2\na 0 5\na 1 10\n")
        #expect(OffsetCheckpointFile.decode(text) == [TopicPartition("a", 1): 10, TopicPartition("a", 0): 5])
        #expect(OffsetCheckpointFile.decode("0\n2\na 0 5\n") == nil)
        #expect(OffsetCheckpointFile.decode("1\n0\n") == nil)
        #expect(LogManager.topicPartition(fromDirectoryName: "my-topic-12") == TopicPartition("my-topic", 12))
        #expect(LogManager.topicPartition(fromDirectoryName: "x.123-delete") == nil)
        #expect(LogManager.topicPartition(fromDirectoryName: "noPartition") == nil)
    }

    @Test func uncleanStartRecoversFromCheckpoints() throws {
        let dir = TempDirectory()
        let tp = TopicPartition("t", 0)
        do {
            let manager = try LogManager(directory: dir.path, defaults: LogConfig(), logger: TestLog.logger)
            let log = try manager.getOrCreateLog(for: tp, config: TestLog.config())
            for i in 0..<5 { _ = try log.appendAsLeader([Batches.make(["\(i)"])], leaderEpoch: 1, now: 0) }
            log.updateHighWatermark(4)
            try manager.writeCheckpoints()
            // No shutdown: the process "dies" here.
            manager.diskLog(for: tp)!.closeWithoutFlush()
        }
        let manager = try LogManager(directory: dir.path, defaults: LogConfig(), logger: TestLog.logger)
        let log = try #require(manager.log(for: tp))
        #expect(log.logEndOffset == 5 && log.highWatermark == 4)
        #expect(log.endOffset(forLeaderEpoch: 1)! == (1, 5))
        manager.shutdown()
    }
}
