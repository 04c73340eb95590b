import KafkaProtocol
import SluiceStorage

/// Kafka's config sources (DescribeConfigs `config_source`).
enum ConfigSource: Int8 {
    case dynamicTopic = 1
    case staticBroker = 4
    case defaultConfig = 5
}

/// Kafka's config types (DescribeConfigs v3+ `config_type`).
enum ConfigType: Int8 {
    case boolean = 1, string = 2, int = 3, short = 4, long = 5, double = 6, list = 7
}

/// Describes topic and broker configs the way DescribeConfigs (and CreateTopics v5+) show them:
/// value, source, read-only flag and synonyms (topic override → broker setting → default).
struct ConfigDescriber {
    let services: BrokerServices

    private static let types: [String: ConfigType] = [
        "cleanup.policy": .list, "compression.type": .string, "message.timestamp.type": .string,
        "index.interval.bytes": .int, "max.message.bytes": .int, "min.insync.replicas": .int,
        "segment.bytes": .int, "segment.index.bytes": .int, "min.cleanable.dirty.ratio": .double,
        "preallocate": .boolean, "unclean.leader.election.enable": .boolean,
    ]

    static func type(of name: String) -> ConfigType { types[name] ?? .long }

    /// The broker keys that set a topic config's default, finest unit first (as Kafka lists synonyms).
    static func brokerKeys(for definition: ConfigDefinition) -> [String] {
        switch definition.name {
        case "retention.ms": return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"]
        case "segment.ms": return ["log.roll.ms", "log.roll.hours"]
        case "segment.jitter.ms": return ["log.roll.jitter.ms", "log.roll.jitter.hours"]
        default: return definition.brokerKey.map { [$0] } ?? []
        }
    }

    /// One topic's configs; `keys` nil means all.
    func describe(_ topic: TopicImage, keys: [String]?, includeSynonyms: Bool,
                  version: Int16) -> [DescribeConfigsResponse.DescribeConfigsResourceResult] {
        let defaults = LogConfig()
        let effective = services.metadata.logConfig(for: topic)
        var results: [DescribeConfigsResponse.DescribeConfigsResourceResult] = []
        for definition in LogConfig.definitions where keys == nil || keys!.contains(definition.name) {
            let name = definition.name
            let value = effective.value(of: name)
            var synonyms: [DescribeConfigsResponse.DescribeConfigsSynonym] = []
            if let override = topic.configs[name] {
                synonyms.append(.init(name: name, value: override, source: ConfigSource.dynamicTopic.rawValue))
            }
            let explicitKey = Self.brokerKeys(for: definition).first { services.config.explicitSettings[$0] != nil }
            if let explicitKey {
                synonyms.append(.init(name: explicitKey, value: services.config.explicitSettings[explicitKey],
                                      source: ConfigSource.staticBroker.rawValue))
            }
            if let key = definition.brokerKey {
                synonyms.append(.init(name: key, value: defaults.value(of: name), source: ConfigSource.defaultConfig.rawValue))
            }
            let source: ConfigSource = topic.configs[name] != nil ? .dynamicTopic
                : (explicitKey != nil ? .staticBroker : .defaultConfig)
            results.append(.init(name: name, value: value, readOnly: false, isDefault: source == .defaultConfig,
                                 configSource: source.rawValue, isSensitive: false,
                                 synonyms: includeSynonyms ? synonyms : [],
                                 configType: Self.type(of: name).rawValue, documentation: nil))
        }
        return results
    }

    /// This broker's configs (all read-only: Sluice has no dynamic broker configs).
    func describeBroker(keys: [String]?, includeSynonyms: Bool) -> [DescribeConfigsResponse.DescribeConfigsResourceResult] {
        let config = services.config
        let advertised = services.advertised
        var entries: [(String, String?, ConfigType)] = [
            ("node.id", String(config.nodeId), .int),
            ("broker.id", String(config.nodeId), .int),
            ("listeners", "PLAINTEXT://\(config.listener)", .string),
            ("advertised.listeners", "PLAINTEXT://\(advertised)", .string),
            ("log.dirs", config.dataDirectory, .string),
            ("broker.rack", config.rack, .string),
            ("num.partitions", String(config.numPartitions), .int),
            ("default.replication.factor", String(config.defaultReplicationFactor), .int),
            ("auto.create.topics.enable", String(config.autoCreateTopicsEnable), .boolean),
            ("delete.topic.enable", String(config.deleteTopicEnable), .boolean),
            ("socket.request.max.bytes", String(config.socketRequestMaxBytes), .int),
            ("num.io.threads", String(config.ioThreads), .int),
        ]
        for definition in LogConfig.definitions {
            guard let key = definition.brokerKey, !entries.contains(where: { $0.0 == key }) else { continue }
            entries.append((key, config.logDefaults.value(of: definition.name), Self.type(of: definition.name)))
        }
        return entries.filter { keys == nil || keys!.contains($0.0) }.map { name, value, type in
            let source: ConfigSource = config.explicitSettings[name] != nil ? .staticBroker : .defaultConfig
            return .init(name: name, value: value, readOnly: true, isDefault: source == .defaultConfig,
                         configSource: source.rawValue, isSensitive: false,
                         synonyms: includeSynonyms ? [.init(name: name, value: value, source: source.rawValue)] : [],
                         configType: type.rawValue, documentation: nil)
        }
    }
}
