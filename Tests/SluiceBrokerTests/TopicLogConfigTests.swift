import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// A topic's config overrides reach its logs in the real storage engine: at creation, after
/// AlterConfigs and IncrementalAlterConfigs, and after a restart (when logs load with the broker's
/// defaults and the broker applies each topic's overrides).
@Suite struct TopicLogConfigTests {
    func logConfig(_ fixture: DiskBrokerFixture, _ topic: String, _ partition: Int32 = 0) throws -> LogConfig {
        try #require(fixture.logs.log(for: TopicPartition(topic, partition))).config
    }

    func alter(_ connection: RawKafkaConnection, _ topic: String, _ configs: [String: String]) throws -> Int16 {
        let request = AlterConfigsRequest(resources: [.init(
            resourceType: 2, resourceName: topic,
            configs: configs.map { .init(name: $0.key, value: $0.value) })])
        return try connection.roundTrip(request, version: 1).responses[0].errorCode
    }

    func incremental(_ connection: RawKafkaConnection, _ topic: String,
                     _ operations: [(name: String, op: Int8, value: String?)]) throws -> Int16 {
        let request = IncrementalAlterConfigsRequest(resources: [.init(
            resourceType: 2, resourceName: topic,
            configs: operations.map { .init(name: $0.name, configOperation: $0.op, value: $0.value) })])
        return try connection.roundTrip(request, version: 1).responses[0].errorCode
    }

    @Test func overridesApplyOnEveryPathAndSurviveARestart() async throws {
        try await DiskBrokerFixture.with(configure: { $0.logDefaults.retentionMs = 86_400_000 }) { fixture in
            var connection = try fixture.connect()
            let created = try connection.roundTrip(CreateTopicsRequest(topics: [.init(
                name: "cfg", numPartitions: 2, replicationFactor: 1,
                configs: [.init(name: "segment.bytes", value: "1024"), .init(name: "cleanup.policy", value: "compact")])]),
                version: 7)
            #expect(created.topics[0].errorCode == 0)
            for partition: Int32 in [0, 1] {
                let config = try logConfig(fixture, "cfg", partition)
                #expect(config.segmentBytes == 1024 && config.cleanupPolicy == .compact)
                #expect(config.retentionMs == 86_400_000, "the broker's default for what the topic does not set")
            }

            // AlterConfigs replaces every override: cleanup.policy and segment.bytes go back to the defaults.
            #expect(try alter(connection, "cfg", ["retention.ms": "7200000", "retention.bytes": "4096"]) == 0)
            var config = try logConfig(fixture, "cfg", 1)
            #expect(config.retentionMs == 7_200_000 && config.retentionBytes == 4096)
            #expect(config.cleanupPolicy == .delete && config.segmentBytes == LogConfig().segmentBytes)

            // IncrementalAlterConfigs: SET, DELETE (back to the default), APPEND to a list.
            #expect(try incremental(connection, "cfg", [("segment.bytes", 0, "700"), ("retention.bytes", 1, nil),
                                                        ("cleanup.policy", 2, "compact")]) == 0)
            config = try logConfig(fixture, "cfg", 0)
            #expect(config.segmentBytes == 700 && config.retentionBytes == -1 && config.retentionMs == 7_200_000)
            #expect(config.cleanupPolicy == [.delete, .compact])
            // validate_only changes nothing.
            let validateOnly = IncrementalAlterConfigsRequest(
                resources: [.init(resourceType: 2, resourceName: "cfg", configs: [.init(name: "segment.bytes", configOperation: 0, value: "5000")])],
                validateOnly: true)
            #expect(try connection.roundTrip(validateOnly, version: 1).responses[0].errorCode == 0)
            #expect(try logConfig(fixture, "cfg", 0).segmentBytes == 700)

            try await fixture.restart()
            connection = try fixture.connect()
            for partition: Int32 in [0, 1] {
                config = try logConfig(fixture, "cfg", partition)
                #expect(config.segmentBytes == 700, "segment.bytes survives the restart")
                #expect(config.retentionMs == 7_200_000 && config.cleanupPolicy == [.delete, .compact])
            }
            // And it is in force: 20 keyed batches of ~100 bytes roll 700-byte segments.
            for i in 0..<20 {
                var builder = RecordBatchBuilder()
                builder.append(key: ByteBuffer(string: "k\(i)"), value: ByteBuffer(repeating: 0x61, count: 40), timestamp: 1_700_000_000_000)
                let produced = try connection.roundTrip(produceRequest(topic: "cfg", batch: try builder.build()), version: 9)
                #expect(produced.responses[0].partitionResponses[0].errorCode == 0)
            }
            let log = try #require(fixture.logs.diskLog(for: TopicPartition("cfg", 0)))
            #expect(log.segmentCount >= 3, "segments of at most 700 bytes, not the default 1 GiB")
        }
    }

    @Test func newPartitionsGetTheTopicsConfig() async throws {
        try await DiskBrokerFixture.with { fixture in
            let connection = try fixture.connect()
            _ = try connection.roundTrip(CreateTopicsRequest(topics: [.init(
                name: "grow", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "60000")])]),
                version: 7)
            let grown = try connection.roundTrip(CreatePartitionsRequest(topics: [.init(name: "grow", count: 3, assignments: nil)],
                                                                         timeoutMs: 5000), version: 3)
            #expect(grown.results[0].errorCode == 0)
            for partition: Int32 in 0..<3 {
                #expect(try logConfig(fixture, "grow", partition).retentionMs == 60_000)
            }
        }
    }
}
