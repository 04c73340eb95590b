import Foundation
import SluiceStorage

extension BrokerConfig {
    /// Applies settings under Kafka's broker key names (``BrokerConfigKey/table``), in order, later
    /// ones winning. Throws on the first invalid value, naming the key, the value and what is
    /// allowed; returns warnings: unknown keys (as Kafka logs "supplied but are not used"), keys
    /// Sluice ignores given a value other than Kafka's default, and Sluice's former names.
    ///
    /// Keys that depend on others (listeners, data directories, the units of time-based log
    /// defaults) are resolved once every key is read, from ``explicitSettings`` — so settings
    /// applied by several calls add up.
    @discardableResult
    public mutating func apply(_ settings: [(key: String, value: String)]) throws -> [String] {
        var warnings: [String] = []
        for (rawKey, rawValue) in settings {
            var name = rawKey.trimmingCharacters(in: .whitespaces)
            if let kafkaName = BrokerConfigKey.formerNames[name] {
                warnings.append("\(name) is Sluice's former name for \(kafkaName); use \(kafkaName)")
                name = kafkaName
            }
            if try applyListenerOverride(name, rawValue) { continue }
            guard let key = BrokerConfigKey.named(name) else {
                warnings.append(Self.unknownKeyWarning(name))
                continue
            }
            let value = try key.parse(rawValue)
            try key.apply?(value, &self)
            if case .ignored(let why) = key.support, value.text != key.defaultValue {
                warnings.append("\(name) has no effect on a Sluice broker (\(why)); ignored")
            }
            explicitSettings[name] = value.text
        }
        try resolveDependentSettings(warnings: &warnings)
        return warnings
    }

    /// Kafka logs "These configurations '[...]' were supplied but are not used yet."; Sluice says
    /// the same per key, with the nearest known name when the key looks like a typo.
    static func unknownKeyWarning(_ name: String) -> String {
        var message = "the configuration '\(name)' was supplied but is not a broker config Sluice knows; ignored"
        let nearest = BrokerConfigKey.table.map { ($0.name, editDistance($0.name, name)) }.min { $0.1 < $1.1 }
        if let (candidate, distance) = nearest, distance <= 2, name.count > 4 {
            message += " (did you mean \(candidate)?)"
        }
        return message + " — `sluice broker --help-config` lists them"
    }

    /// Everything that needs more than one key.
    private mutating func resolveDependentSettings(warnings: inout [String]) throws {
        let given = explicitSettings
        if let node = given["node.id"], let broker = given["broker.id"], node != broker {
            throw BrokerConfigError("node.id (\(node)) and broker.id (\(broker)) differ: give one of them")
        }
        if let dirs = given["log.dirs"] {
            let list = Self.directories(dirs)
            if list.count > 1 { warnings.append("log.dirs: Sluice uses one data directory; using \(list[0])") }
            dataDirectory = list[0]
        } else if let dir = given["log.dir"] {
            dataDirectory = dir
        }
        if given["listeners"] != nil || given["advertised.listeners"] != nil {
            try resolveListeners(given["listeners"], advertised: given["advertised.listeners"],
                                 protocols: given["listener.security.protocol.map"], warnings: &warnings)
        }
        try validateCluster()
        try validateSecurity()
        try groups.validate()
        for group in BrokerConfigKey.timeSynonyms {
            // The finest unit given wins, as in Kafka.
            guard let (key, millis) = group.units.first(where: { given[$0.key] != nil }),
                  let amount = Int64(given[key]!) else { continue }
            var (value, overflow) = amount.multipliedReportingOverflow(by: millis)
            if overflow { value = amount < 0 ? Int64.min : Int64.max }
            if group.negativeIsUnlimited && value < 0 { value = -1 }
            try setTopicDefault(group.topicConfig, String(value), key: key)
        }
    }
}

/// The Levenshtein distance, for "did you mean" hints.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
