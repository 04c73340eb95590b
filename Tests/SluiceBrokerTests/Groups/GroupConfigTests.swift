import Testing

@testable import SluiceBroker

/// The coordinator's settings come from broker.properties / `--set` under Kafka's names.
@Suite struct GroupConfigTests {
    @Test func groupSettingsAreReadFromBrokerProperties() throws {
        var config = BrokerConfig()
        let warnings = try config.apply([
            ("group.min.session.timeout.ms", "1000"), ("group.max.session.timeout.ms", "60000"),
            ("group.initial.rebalance.delay.ms", "0"), ("offsets.topic.num.partitions", "3"),
            ("offsets.topic.replication.factor", "1"), ("offsets.retention.minutes", "60"),
            ("offset.metadata.max.bytes", "100"), ("group.max.size", "10"),
        ])
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(config.groups.minSessionTimeoutMs == 1000 && config.groups.maxSessionTimeoutMs == 60000)
        #expect(config.groups.initialRebalanceDelayMs == 0 && config.groups.offsetsTopicPartitions == 3)
        #expect(config.groups.offsetsTopicReplicationFactor == 1 && config.groups.offsetsRetentionMs == 3_600_000)
        #expect(config.groups.offsetMetadataMaxBytes == 100 && config.groups.maxGroupSize == 10)
        #expect(config.explicitSettings["offsets.topic.num.partitions"] == "3")
    }

    @Test func kafkasDefaults() {
        let c = GroupCoordinatorConfig()
        #expect(c.offsetsTopicPartitions == 50 && c.offsetsTopicReplicationFactor == 3)
        #expect(c.minSessionTimeoutMs == 6000 && c.maxSessionTimeoutMs == 1_800_000 && c.initialRebalanceDelayMs == 3000)
        #expect(c.offsetsRetentionMs == 7 * 24 * 3_600_000 && c.offsetMetadataMaxBytes == 4096)
    }

    @Test func badValuesNameTheirKey() {
        var config = BrokerConfig()
        #expect(throws: BrokerConfigError.self) { try config.apply([("offsets.topic.num.partitions", "0")]) }
        #expect(throws: BrokerConfigError.self) { try config.apply([("group.min.session.timeout.ms", "soon")]) }
        do {
            try config.apply([("offsets.retention.minutes", "-5")])
            Issue.record("accepted a negative retention")
        } catch {
            #expect("\(error)".contains("offsets.retention.minutes"))
        }
    }

    @Test func consumerGroupSettings() throws {
        var config = BrokerConfig()
        let warnings = try config.apply([
            ("group.consumer.session.timeout.ms", "6000"), ("group.consumer.heartbeat.interval.ms", "500"),
            ("group.consumer.assignors", "range, org.apache.kafka.coordinator.group.assignor.UniformAssignor"),
            ("group.consumer.max.size", "4"), ("group.coordinator.rebalance.protocols", "classic"),
        ])
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(config.groups.consumerSessionTimeoutMs == 6000 && config.groups.consumerHeartbeatIntervalMs == 500)
        #expect(config.groups.consumerAssignorList == [.range, .uniform] && config.groups.consumerMaxGroupSize == 4)
        #expect(!config.groups.consumerProtocolEnabled)
        let defaults = GroupCoordinatorConfig()
        #expect(defaults.consumerSessionTimeoutMs == 45_000 && defaults.consumerHeartbeatIntervalMs == 5_000)
        #expect(defaults.consumerAssignorList == [.uniform, .range] && defaults.consumerProtocolEnabled)

        var bad = BrokerConfig()
        do {
            try bad.apply([("group.consumer.assignors", "sticky")])
            Issue.record("accepted an unknown assignor")
        } catch {
            #expect("\(error)".contains("group.consumer.assignors"))
        }
        do {
            try bad.apply([("group.consumer.heartbeat.interval.ms", "50000")])
            Issue.record("accepted a heartbeat interval above the session timeout")
        } catch {
            #expect("\(error)".contains("group.consumer.heartbeat.interval.ms"))
        }
        #expect(throws: BrokerConfigError.self) { try bad.apply([("group.coordinator.rebalance.protocols", "consumer")]) }
    }
}
