/// The cluster: broker sessions, the metadata quorum's timing, leader balancing.
extension BrokerConfigKey {
    static let clusterKeys: [BrokerConfigKey] = [
        .integer("broker.session.timeout.ms", .int, Int64(9000), min: 1, .readOnly, .medium,
                 "A broker whose heartbeats stop reaching the controller this long is fenced (leaves every ISR, loses its leaderships).",
                 \.cluster.brokerSessionTimeoutMs),
        .integer("broker.heartbeat.interval.ms", .int, Int64(2000), min: 1, .readOnly, .medium,
                 "How often a broker heartbeats to the controller; must be below broker.session.timeout.ms.",
                 \.cluster.brokerHeartbeatIntervalMs),
        .integer("controller.quorum.election.timeout.ms", .int, 1000, min: 1, .readOnly, .high,
                 "How long a voter waits without hearing from a leader before it calls an election (randomised up to twice this).",
                 \.cluster.quorumElectionTimeoutMs),
        .integer("controller.quorum.fetch.timeout.ms", .int, 2000, min: 1, .readOnly, .high,
                 "A follower that cannot fetch from the quorum leader this long becomes a candidate.",
                 \.cluster.quorumFetchTimeoutMs),
        .integer("controller.quorum.election.backoff.max.ms", .int, 1000, min: 1, .readOnly, .high,
                 "The longest pause before a candidate that lost an election tries again.",
                 \.cluster.quorumElectionBackoffMaxMs),
        .integer("controller.quorum.request.timeout.ms", .int, 2000, min: 1, .readOnly, .medium,
                 "A quorum request unanswered this long is sent again.", \.cluster.quorumRequestTimeoutMs),
        .integer("controller.quorum.retry.backoff.ms", .int, 20, min: 1, .readOnly, .low,
                 "The pause before a quorum request that failed is retried.", \.cluster.quorumRetryBackoffMs),
        .integer("sluice.quorum.tick.ms", .int, 10, min: 1, .readOnly, .low,
                 "Sluice's own: the Raft driver's clock tick; the quorum timeouts above are counted in ticks.",
                 kafka: .notAKafkaKey, \.cluster.quorumTickMs),
        .boolean("auto.leader.rebalance.enable", true, .readOnly, .high,
                 "Whether the controller moves leaderships back to the preferred (first) replica when it is in sync.",
                 \.cluster.autoLeaderRebalanceEnable),
        .integer("leader.imbalance.check.interval.seconds", .long, Int64(300), min: 1, .readOnly, .high,
                 "How often the controller looks for leaderships to move back to preferred replicas.",
                 \.cluster.leaderImbalanceCheckIntervalSeconds),
        .integer("leader.imbalance.per.broker.percentage", .int, 10, min: 0, .readOnly, .high,
                 "The share of a broker's preferred leaderships held elsewhere above which they are moved back.",
                 \.cluster.leaderImbalancePerBrokerPercentage),
        BrokerConfigKey(
            name: "unclean.leader.election.enable", type: .boolean, defaultValue: "false", kafka: .same, validator: .any,
            updateMode: .clusterWide, importance: .high,
            documentation: "Whether a partition with no live in-sync replica may elect an out-of-sync one (losing records); topics may override it.",
            support: .applied,
            apply: { value, config in
                config.cluster.uncleanLeaderElectionEnable = value.boolean
                try config.setTopicDefault("unclean.leader.election.enable", value.text, key: "unclean.leader.election.enable")
            },
            read: { String($0.cluster.uncleanLeaderElectionEnable) }),
        .integer("metadata.log.max.record.bytes.between.snapshots", .long, 20 * 1024 * 1024, min: 1, .readOnly, .high,
                 "How many bytes of metadata records a node applies before it writes a new snapshot of the metadata image.",
                 \.cluster.metadataSnapshotBytes),
    ]
}
