import KafkaProtocol
import SluiceStorage

/// Kafka's config sources (DescribeConfigs `config_source`).
enum ConfigSource: Int8 {
    case dynamicTopic = 1
    case dynamicBroker = 2
    case dynamicDefaultBroker = 3
    case staticBroker = 4
    case defaultConfig = 5
}

/// Kafka's config types (DescribeConfigs v3+ `config_type`).
enum ConfigType: Int8 {
    case boolean = 1, string = 2, int = 3, short = 4, long = 5, double = 6, list = 7, `class` = 8, password = 9
}

/// Describes topic and broker configs the way DescribeConfigs (and CreateTopics v5+) show them:
/// value, source, read-only flag, sensitivity, type, documentation and synonyms, all from
/// ``BrokerConfigKey/table`` (and `LogConfig` for topics).
///
/// Synonyms are listed in Kafka's order of precedence: a topic's own setting, then for each of
/// the broker keys that set its default (finest unit first) the value given to the broker
/// (`STATIC_BROKER_CONFIG`), then their defaults (`DEFAULT_CONFIG`). A value's source is its
/// first synonym's.
struct ConfigDescriber {
    typealias Entry = DescribeConfigsResponse.DescribeConfigsResourceResult
    typealias Synonym = DescribeConfigsResponse.DescribeConfigsSynonym

    let services: BrokerServices

    /// A topic config's type: its broker default's (Kafka's types agree), else long.
    static func type(of name: String) -> ConfigType {
        let brokerKey = LogConfig.definitions.first { $0.name == name }?.brokerKey
        return brokerKey.flatMap(BrokerConfigKey.named).flatMap { ConfigType(rawValue: $0.type.wireValue) } ?? .long
    }

    /// The dynamic broker configs that apply to this broker: its own and the cluster-wide defaults.
    struct Dynamic {
        var own: [String: String] = [:]
        var defaults: [String: String] = [:]
    }

    var dynamic: Dynamic {
        let image = services.metadata.snapshot
        return Dynamic(own: image.brokerConfigs[services.nodeId] ?? [:], defaults: image.brokerDefaults)
    }

    /// The broker keys whose settings stand behind `name` (finest unit first), in Kafka's order:
    /// every one's dynamic per-broker value, then dynamic cluster-wide defaults, then static
    /// settings, then defaults (Kafka's `ConfigHelper.configSynonyms`).
    static func brokerSynonyms(of name: String, in config: BrokerConfig, dynamic: Dynamic = Dynamic(),
                               sensitive: Bool) -> [Synonym] {
        let names = BrokerConfigKey.synonyms(of: name)
        func from(_ values: [String: String], _ source: ConfigSource) -> [Synonym] {
            names.compactMap { key in
                values[key].map { Synonym(name: key, value: sensitive ? nil : $0, source: source.rawValue) }
            }
        }
        let defaults = names.compactMap { key in
            BrokerConfigKey.named(key)?.defaultValue.map {
                Synonym(name: key, value: sensitive ? nil : $0, source: ConfigSource.defaultConfig.rawValue)
            }
        }
        return from(dynamic.own, .dynamicBroker) + from(dynamic.defaults, .dynamicDefaultBroker)
            + from(config.explicitSettings, .staticBroker) + defaults
    }

    /// One topic's configs; `keys` nil means all.
    ///
    /// Unlike Kafka's ConfigHelper, which drops the synonyms ranked before the broker key's own
    /// name (so `retention.ms` shows nothing for a broker's `log.retention.hours`), every broker
    /// synonym is listed: the source then says where the value really comes from.
    func describe(_ topic: TopicImage, keys: [String]?, includeSynonyms: Bool, version: Int16,
                  includeDocumentation: Bool = false) -> [Entry] {
        let effective = services.metadata.logConfig(for: topic)
        let dynamic = self.dynamic
        var results: [Entry] = []
        for definition in LogConfig.definitions where keys == nil || keys!.contains(definition.name) {
            let name = definition.name
            var synonyms: [Synonym] = []
            if let override = topic.configs[name] {
                synonyms.append(.init(name: name, value: override, source: ConfigSource.dynamicTopic.rawValue))
            }
            if let brokerKey = definition.brokerKey {
                synonyms += Self.brokerSynonyms(of: brokerKey, in: services.config, dynamic: dynamic, sensitive: false)
            }
            let source = synonyms.first?.source ?? ConfigSource.defaultConfig.rawValue
            results.append(.init(name: name, value: effective.value(of: name), readOnly: false,
                                 isDefault: source == ConfigSource.defaultConfig.rawValue,
                                 configSource: source, isSensitive: false,
                                 synonyms: includeSynonyms ? synonyms : [],
                                 configType: Self.type(of: name).rawValue,
                                 documentation: includeDocumentation ? Self.topicDocumentation(name) : nil))
        }
        return results
    }

    /// A topic config's documentation: its broker default's line, without the "Default NAME: "
    /// that line starts with.
    static func topicDocumentation(_ name: String) -> String? {
        guard let line = LogConfig.definitions.first(where: { $0.name == name })?.brokerKey
            .flatMap(BrokerConfigKey.named)?.documentation else { return nil }
        let prefix = "Default \(name): "
        guard line.hasPrefix(prefix) else { return line }
        let rest = line.dropFirst(prefix.count)
        return rest.prefix(1).uppercased() + rest.dropFirst()
    }

    /// This broker's configs: every key of the table; `keys` nil means all. Values are the ones
    /// in force (dynamic, static or default); passwords are null. Keys Kafka 3.9 cannot change
    /// at run time are read-only; the others can be set with AlterConfigs and
    /// IncrementalAlterConfigs (``DynamicBrokerConfig``).
    func describeBroker(keys: [String]?, includeSynonyms: Bool, includeDocumentation: Bool) -> [Entry] {
        let config = services.config
        let inForce = services.metadata.configInForce
        let dynamic = self.dynamic
        return BrokerConfigKey.table.filter { keys == nil || keys!.contains($0.name) }.map { key in
            var synonyms = Self.brokerSynonyms(of: key.name, in: config, dynamic: dynamic, sensitive: key.isSensitive)[...]
            if !BrokerConfigKey.showsTimeGroupInForce(key.name) {
                // As Kafka: the synonyms ranked before the key itself (a finer unit) are not its own.
                // The finest unit keeps them all: it shows the value in force, and they say where
                // that comes from (Kafka shows it null unless it is given itself).
                synonyms = synonyms.drop { $0.name != key.name }
            }
            let source = synonyms.first?.source ?? ConfigSource.defaultConfig.rawValue
            let given = dynamic.own[key.name] ?? dynamic.defaults[key.name] ?? config.explicitSettings[key.name]
            let value = key.isSensitive ? nil : (key.read?(inForce) ?? given ?? key.defaultValue)
            return Entry(name: key.name, value: value, readOnly: key.updateMode == .readOnly,
                         isDefault: source == ConfigSource.defaultConfig.rawValue, configSource: source,
                         isSensitive: key.isSensitive, synonyms: includeSynonyms ? Array(synonyms) : [],
                         configType: key.type.wireValue, documentation: includeDocumentation ? key.documentation : nil)
        }
    }

    /// The cluster-wide dynamic defaults (a BROKER resource named ""): only the keys set, as Kafka
    /// answers, each from DYNAMIC_DEFAULT_BROKER_CONFIG.
    func describeBrokerDefaults(keys: [String]?, includeSynonyms: Bool, includeDocumentation: Bool) -> [Entry] {
        dynamic.defaults.sorted { $0.key < $1.key }.compactMap { name, value in
            guard keys == nil || keys!.contains(name), let key = BrokerConfigKey.named(name) else { return nil }
            let source = ConfigSource.dynamicDefaultBroker.rawValue
            let shown = key.isSensitive ? nil : value
            return Entry(name: name, value: shown, readOnly: false, isDefault: false, configSource: source,
                         isSensitive: key.isSensitive,
                         synonyms: includeSynonyms ? [Synonym(name: name, value: shown, source: source)] : [],
                         configType: key.type.wireValue, documentation: includeDocumentation ? key.documentation : nil)
        }
    }
}
