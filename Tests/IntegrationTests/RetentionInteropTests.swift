import Foundation
import Testing

/// Retention in the background of a real `sluice broker`, seen by kafka-python consumers: old
/// segments go, the log start moves, and a consumer positioned below it is reset to the earliest
/// offset. Also: a topic's `retention.ms` keeps applying after a restart.
@Suite(.onTestThreads) struct RetentionInteropTests {
    @Test(.enabled(if: Clients.shouldRun(Clients.kafkaPython), "kafka-python is not installed"))
    func retentionBytesMovesTheLogStartUnderAConsumer() async throws {
        let broker = try await LogCleanupBroker.shared()
        let topic = SharedBroker.topic("retention-bytes")
        let events = try await LogCleanupBroker.run(broker, "retention-bytes", topic: topic)
        #expect(events["before"]?["earliest"] as? Int == 0 && events["before"]?["count"] as? Int == 300)
        let earliest = try #require(events["after"]?["earliest"] as? Int, "\(events)")
        // 300 records of ~110 bytes in 4 KiB segments, 8 KiB kept: two or three segments stay.
        #expect(earliest > 150 && earliest < 300)
        // The consumer seeking back to 0 was reset to the new log start and read on from there.
        #expect(events["after"]?["offsets"] as? [Int] == Array(earliest..<300))
        #expect(LogCleanupBroker.segmentFiles(broker, topic).count <= 3)
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kafkaPython), "kafka-python is not installed"))
    func retentionMsOverrideSurvivesARestart() async throws {
        try await BrokerProcess.with(extraArguments: LogCleanupBroker.settings) { broker in
            let topic = SharedBroker.topic("retention-ms")
            _ = try await LogCleanupBroker.run(broker, "create", topic: topic, ["--config", "retention.ms=60000", "--config", "segment.bytes=4096"])
            #expect(await broker.stop() == 0)
            try await broker.start()
            // Records ten minutes old are past the topic's one minute (the broker's default is 7 days).
            let events = try await LogCleanupBroker.run(broker, "retention-time", topic: topic)
            let earliest = try #require(events["after"]?["earliest"] as? Int, "\(events)")
            #expect(earliest > 0 && earliest <= 100, "the old records' segments went, the new ones stayed")
            #expect(events["after"]?["offsets"] as? [Int] == Array(earliest..<200))
            #expect(events["after"]?["new_values"] as? Int == 100)
            #expect(await broker.stop() == 0)
        }
    }
}
