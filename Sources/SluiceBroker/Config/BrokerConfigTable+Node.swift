import SluiceBase

/// The node: identity, roles, listeners, data directory, topic creation, request limits.
extension BrokerConfigKey {
    static let nodeKeys: [BrokerConfigKey] = [
        .integer("node.id", .int, Int32(1), min: 0, .readOnly, .high,
                 "This node's id in the cluster: unique per node, and its id in controller.quorum.voters.",
                 kafka: .differs("-1"), \.nodeId),
        .integer("broker.id", .int, Int32(1), min: 0, .readOnly, .high,
                 "The older name of node.id; when both are given they must agree.",
                 kafka: .differs("-1"), \.nodeId),
        BrokerConfigKey(
            name: "process.roles", type: .list, defaultValue: "broker,controller", kafka: .differs(""),
            validator: .listOf(["broker", "controller"]), updateMode: .readOnly, importance: .high,
            documentation: "What this node does: broker,controller (serves clients and votes in the metadata quorum) or broker (only serves clients).",
            support: .applied,
            apply: { value, config in
                let roles = Set(value.list.map { $0.lowercased() })
                guard roles == ["broker"] || roles == ["broker", "controller"] else {
                    throw BrokerConfigError("invalid value for process.roles: '\(value.text)' (Sluice runs 'broker,controller' or 'broker')")
                }
                config.isController = roles.contains("controller")
            },
            read: { $0.isController ? "broker,controller" : "broker" }),
        BrokerConfigKey(
            name: "controller.quorum.voters", type: .list, defaultValue: "", kafka: .same,
            validator: .format("id@host:port,..."), updateMode: .readOnly, importance: .high,
            documentation: "The metadata quorum's voters and their controller listeners; empty makes this node a quorum of its own.",
            support: .applied,
            apply: { value, config in config.quorumVoters = try BrokerConfig.voters("controller.quorum.voters", value.list) },
            read: { $0.quorumVoters.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }.joined(separator: ",") }),
        BrokerConfigKey(
            name: "controller.listener.names", type: .string, defaultValue: "CONTROLLER", kafka: .differs(nil),
            validator: .any, updateMode: .readOnly, importance: .high,
            documentation: "The names, among listeners, of the listeners that serve the metadata quorum and other controllers.",
            support: .applied,
            apply: { value, config in
                config.controllerListenerNames = value.string.split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            },
            read: { $0.controllerListenerNames.joined(separator: ",") }),
        BrokerConfigKey(
            name: "listeners", type: .string, defaultValue: "PLAINTEXT://127.0.0.1:9092", kafka: .differs("PLAINTEXT://:9092"),
            validator: .format("NAME://host:port,..."), updateMode: .perBroker, importance: .high,
            documentation: "The addresses to listen on, one per listener name: the first broker listener serves clients, the controller one the quorum; port 0 picks a free port.",
            support: .applied,
            apply: { value, _ in _ = try BrokerConfig.namedListeners("listeners", value.string) },
            read: { config in
                var entries = ["\(config.listenerName)://\(config.listener)"]
                if let controller = config.controllerListener {
                    entries.append("\(config.controllerListenerNames.first ?? "CONTROLLER")://\(controller)")
                }
                return entries.joined(separator: ",")
            }),
        BrokerConfigKey(
            name: "metrics.listener", type: .string, defaultValue: nil, kafka: .notAKafkaKey,
            validator: .format("host:port"), updateMode: .readOnly, importance: .medium,
            documentation: "Sluice's own: the HTTP address serving GET /metrics (Prometheus; OpenMetrics on request), /health/live and /health/ready; port 0 picks a free port; unset serves none.",
            support: .applied,
            apply: { value, config in
                guard let address = BrokerAddress(listener: value.string), !value.string.contains("://") else {
                    throw BrokerConfigError("invalid value for metrics.listener: '\(value.string)' (expected host:port)")
                }
                config.metricsListener = address
            },
            read: { $0.metricsListener?.description }),
        BrokerConfigKey(
            name: "advertised.listeners", type: .string, defaultValue: nil, kafka: .same,
            validator: .format("NAME://host:port,..."), updateMode: .perBroker, importance: .high,
            documentation: "The addresses clients are told to connect to, when they differ from listeners (NAT, containers).",
            support: .applied,
            apply: { value, _ in _ = try BrokerConfig.namedListeners("advertised.listeners", value.string) },
            read: { config in config.advertisedListener.map { "\(config.listenerName)://\($0)" } }),
        BrokerConfigKey(
            name: "listener.security.protocol.map", type: .string,
            defaultValue: "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT", kafka: .same,
            validator: .format("NAME:PROTOCOL,..."), updateMode: .perBroker, importance: .low,
            documentation: "The security protocol of each listener name: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
            support: .applied,
            apply: { value, _ in _ = try BrokerConfig.securityProtocols("listener.security.protocol.map", value.string) },
            read: nil),
        BrokerConfigKey(
            name: "log.dir", type: .string, defaultValue: "/tmp/sluice-logs", kafka: .differs("/tmp/kafka-logs"),
            validator: .format("a directory"), updateMode: .readOnly, importance: .high,
            documentation: "The data directory, used when log.dirs is not given.",
            support: .applied,
            apply: { value, _ in try BrokerConfig.requireDirectory("log.dir", [value.string]) },
            read: nil),
        BrokerConfigKey(
            name: "log.dirs", type: .string, defaultValue: nil, kafka: .same,
            validator: .format("a directory (Sluice uses the first of a list)"), updateMode: .readOnly, importance: .high,
            documentation: "The data directories; Sluice keeps everything in the first one. Wins over log.dir.",
            support: .applied,
            apply: { value, _ in try BrokerConfig.requireDirectory("log.dirs", BrokerConfig.directories(value.string)) },
            read: nil),
        BrokerConfigKey(
            name: "broker.rack", type: .string, defaultValue: nil, kafka: .same, validator: .any,
            updateMode: .readOnly, importance: .medium,
            documentation: "The rack (or zone) of this node; new topics spread each partition's replicas over racks.",
            support: .applied,
            apply: { value, config in config.rack = value.string.isEmpty ? nil : value.string },
            read: { $0.rack }),
        BrokerConfigKey(
            name: "replica.selector.class", type: .class, defaultValue: nil, kafka: .same,
            validator: .oneOf([ReplicaSelector.rackAwareClass, ReplicaSelector.leaderClass]),
            updateMode: .readOnly, importance: .medium,
            documentation: "Which replica a consumer reads from (KIP-392): with Kafka's RackAwareReplicaSelector, "
                + "an in-sync replica in the consumer's rack (client.rack); unset or LeaderSelector: the leader.",
            support: .applied,
            apply: { value, config in config.replicaSelector = ReplicaSelector(className: value.string) },
            read: { $0.replicaSelector?.className }),
        .integer("quota.window.num", .int, Int32(11), min: 1, .readOnly, .low,
                 "Samples a client quota's rate is measured over (KIP-546 quotas: producer_byte_rate, consumer_byte_rate).",
                 \.quotaWindowNum),
        .integer("quota.window.size.seconds", .int, Int32(1), min: 1, .readOnly, .low,
                 "The time span of each client quota sample.", \.quotaWindowSizeSeconds),
        .integer("num.partitions", .int, Int32(1), min: 1, .readOnly, .medium,
                 "Partitions of topics created without a count (auto-created ones, CreateTopics with -1).", \.numPartitions),
        .integer("default.replication.factor", .int, Int16(1), min: 1, .readOnly, .medium,
                 "Replicas of topics created without a replication factor (auto-created ones, CreateTopics with -1).",
                 \.defaultReplicationFactor),
        .boolean("auto.create.topics.enable", true, .readOnly, .high,
                 "Whether a Metadata request for an unknown topic that allows it creates the topic.", \.autoCreateTopicsEnable),
        .boolean("delete.topic.enable", true, .readOnly, .high,
                 "Whether DeleteTopics may delete topics; when false it is refused.", \.deleteTopicEnable),
        .integer("socket.request.max.bytes", .int, 104_857_600, min: 1, .readOnly, .high,
                 "The largest request accepted; a connection that announces a larger one is closed.", \.socketRequestMaxBytes),
        .integer("num.io.threads", .int, 8, min: 1, .clusterWide, .high,
                 "Threads for blocking work: log reads, offset lookups, metadata changes.", \.ioThreads),
    ]
}
