/// KIP-848 consumer groups (the `group.consumer.*` keys and the protocol switch).
extension BrokerConfigKey {
    static let consumerGroupKeys: [BrokerConfigKey] = [
        BrokerConfigKey(
            name: "group.coordinator.rebalance.protocols", type: .list, defaultValue: "classic,consumer", kafka: .same,
            validator: .listOf(["classic", "consumer"]), updateMode: .readOnly, importance: .medium,
            documentation: "The group protocols served: classic (JoinGroup/SyncGroup) always; consumer adds KIP-848's ConsumerGroupHeartbeat and ConsumerGroupDescribe.",
            support: .applied,
            apply: { value, config in
                let protocols = Set(value.list.map { $0.lowercased() })
                guard protocols.contains("classic") else {
                    throw BrokerConfigError("invalid value for group.coordinator.rebalance.protocols: '\(value.text)' (classic cannot be turned off)")
                }
                config.groups.rebalanceProtocols = ["classic", "consumer"].filter(protocols.contains)
            },
            read: { $0.groups.rebalanceProtocols.joined(separator: ",") }),
        .integer("group.consumer.session.timeout.ms", .int, Int32(45_000), min: 1, .readOnly, .medium,
                 "A consumer group member (KIP-848) that does not heartbeat for this long is removed and its partitions reassigned.",
                 \.groups.consumerSessionTimeoutMs),
        .integer("group.consumer.heartbeat.interval.ms", .int, Int32(5_000), min: 1, .readOnly, .medium,
                 "How often consumer group members heartbeat (below group.consumer.session.timeout.ms); also how quickly they learn of a rebalance.",
                 \.groups.consumerHeartbeatIntervalMs),
        BrokerConfigKey(
            name: "group.consumer.assignors", type: .list, defaultValue: "uniform,range", kafka: .same,
            validator: .format("a comma-separated list of uniform, range (or Kafka's assignor class names)"),
            updateMode: .readOnly, importance: .medium,
            documentation: "The server-side assignors of consumer groups; members pick one with group.remote.assignor, the first is the default.",
            support: .applied,
            apply: { value, config in
                var assignors: [ServerAssignor] = []
                for name in value.list {
                    guard let assignor = ServerAssignor.named(name) else {
                        throw BrokerConfigError("invalid value for group.consumer.assignors: '\(value.text)' (\(name) is not uniform or range)")
                    }
                    if !assignors.contains(assignor) { assignors.append(assignor) }
                }
                guard !assignors.isEmpty else {
                    throw BrokerConfigError("invalid value for group.consumer.assignors: '\(value.text)' (at least one assignor)")
                }
                config.groups.consumerAssignorList = assignors
            },
            read: { $0.groups.consumerAssignorList.map(\.rawValue).joined(separator: ",") }),
        .integer("group.consumer.max.size", .int, Int32.max, min: 1, .readOnly, .medium,
                 "The most members a consumer group (KIP-848) may have.", \.groups.consumerMaxGroupSize),
    ]
}

extension GroupCoordinatorConfig {
    /// The group settings agree with each other (checked after every key is read).
    func validate() throws {
        guard consumerHeartbeatIntervalMs < consumerSessionTimeoutMs else {
            throw BrokerConfigError("group.consumer.heartbeat.interval.ms (\(consumerHeartbeatIntervalMs)) must be below "
                                    + "group.consumer.session.timeout.ms (\(consumerSessionTimeoutMs))")
        }
    }
}
