import Foundation
import SluiceBroker

/// `sluice broker --help-config`: the broker config table as an aligned table or JSON.
enum BrokerConfigHelp {
    /// The exit status of a broker whose configuration is invalid (sysexits' EX_CONFIG).
    static let configErrorExitCode: Int32 = 78
    private static let maxDefaultWidth = 28

    static func table() -> String {
        var printer = TablePrinter(["NAME", "TYPE", "DEFAULT", "UPDATE MODE", "SLUICE", "DESCRIPTION"])
        for key in BrokerConfigKey.table {
            var description = key.documentation
            let valid = key.validator.kafkaNotation
            if !valid.isEmpty { description += " Valid: \(valid)" + (valid.hasSuffix(".") ? "" : ".") }
            var defaultShown = shown(key.defaultValue)
            if defaultShown.count > maxDefaultWidth {
                // One long default (listener.security.protocol.map) would widen every row.
                description += " Default: \(defaultShown)."
                defaultShown = "(see description)"
            }
            if case .differs(let kafkaDefault) = key.kafka { description += " Kafka's default: \(kafkaDefault ?? "null")." }
            if case .ignored(let why) = key.support { description += " No effect: \(why)." }
            printer.add([key.name, key.type.rawValue, defaultShown, key.isKafkaKey ? key.updateMode.rawValue : "-",
                         support(key), description])
        }
        return printer.render() + "\n\nUPDATE MODE is Kafka's (read-only: needs a restart); Sluice reads every key at start-up. "
            + "SLUICE says whether Sluice uses the key; 'sluice' marks Sluice's own keys."
    }

    static func json() -> String {
        let entries: [[String: Any]] = BrokerConfigKey.table.map { key in
            var entry: [String: Any] = [
                "name": key.name, "type": key.type.rawValue, "default": key.defaultValue.map { $0 as Any } ?? NSNull(),
                "update_mode": key.updateMode.rawValue, "importance": key.importance.rawValue,
                "documentation": key.documentation, "valid_values": key.validator.kafkaNotation,
                "kafka_key": key.isKafkaKey, "used": key.support == .applied, "sensitive": key.isSensitive,
            ]
            if case .differs(let kafkaDefault) = key.kafka { entry["kafka_default"] = kafkaDefault.map { $0 as Any } ?? NSNull() }
            if case .ignored(let why) = key.support { entry["ignored_because"] = why }
            let synonyms = BrokerConfigKey.synonyms(of: key.name)
            if synonyms.count > 1 { entry["synonyms"] = synonyms }
            return entry
        }
        return JSON.encode(entries, pretty: true)
    }

    private static func shown(_ value: String?) -> String {
        guard let value else { return "null" }
        return value.isEmpty ? "\"\"" : value
    }

    private static func support(_ key: BrokerConfigKey) -> String {
        switch key.support {
        case .applied: key.isKafkaKey ? "used" : "sluice"
        case .ignored: "ignored"
        }
    }
}
