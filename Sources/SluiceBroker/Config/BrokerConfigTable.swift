/// The broker config table: every key Sluice knows, by area (`BrokerConfigTable+*.swift`).
extension BrokerConfigKey {
    /// Every broker config Sluice knows, sorted by name.
    public static let table: [BrokerConfigKey] = (nodeKeys + clusterKeys + storageKeys + topicDefaultKeys
        + coordinationKeys + consumerGroupKeys + securityKeys + ignoredKeys).sorted { $0.name < $1.name }

    private static let byName: [String: BrokerConfigKey] = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0) })

    /// The key named `name` (Kafka's name), if Sluice knows it.
    public static func named(_ name: String) -> BrokerConfigKey? { byName[name] }

    /// Names Sluice used before it took Kafka's (still read, with a warning).
    public static let formerNames: [String: String] = [
        "quorum.election.timeout.ms": "controller.quorum.election.timeout.ms",
        "quorum.fetch.timeout.ms": "controller.quorum.fetch.timeout.ms",
        "quorum.election.backoff.max.ms": "controller.quorum.election.backoff.max.ms",
        "quorum.request.timeout.ms": "controller.quorum.request.timeout.ms",
        "quorum.retry.backoff.ms": "controller.quorum.retry.backoff.ms",
    ]

    /// Keys that give one setting in different units, finest first: the first one set wins
    /// (Kafka's `DynamicBrokerConfig.brokerConfigSynonyms`), e.g. `log.retention.ms` over
    /// `log.retention.minutes` over `log.retention.hours`.
    static let timeSynonyms: [TimeSynonyms] = [
        TimeSynonyms(topicConfig: "retention.ms", units: [("log.retention.ms", 1), ("log.retention.minutes", 60_000),
                                                          ("log.retention.hours", 3_600_000)], negativeIsUnlimited: true),
        TimeSynonyms(topicConfig: "segment.ms", units: [("log.roll.ms", 1), ("log.roll.hours", 3_600_000)]),
        TimeSynonyms(topicConfig: "segment.jitter.ms", units: [("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)]),
    ]

    /// Whether `name` is the finest unit of a time group (`log.retention.ms`, `log.roll.ms`,
    /// `log.roll.jitter.ms`): it shows the value in force, whichever unit gave it.
    static func showsTimeGroupInForce(_ name: String) -> Bool {
        timeSynonyms.contains { $0.units.first?.key == name }
    }

    /// The names that set the same value as `name`, in Kafka's order of precedence (`name`
    /// alone for most keys).
    public static func synonyms(of name: String) -> [String] {
        timeSynonyms.first { group in group.units.contains { $0.key == name } }?.units.map(\.key) ?? [name]
    }
}

/// One setting given under several keys in different units.
struct TimeSynonyms: Sendable {
    var topicConfig: String
    /// Key and milliseconds per unit, finest first.
    var units: [(key: String, millis: Int64)]
    /// Kafka turns any negative retention into -1 (unlimited).
    var negativeIsUnlimited = false
}
