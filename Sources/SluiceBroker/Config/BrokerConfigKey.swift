import Foundation

/// One broker config in ``BrokerConfigKey/table``: Kafka's name, type, default, validation, update
/// mode and importance, a line of documentation, and how Sluice reads it into a ``BrokerConfig``.
///
/// The table drives `--config`/`--set` parsing (``BrokerConfig/apply(_:)``), DescribeConfigs on
/// BROKER resources and `sluice broker --help-config`, as `LogConfig.definitions` does for topic
/// configs.
///
///     let key = BrokerConfigKey.named("num.partitions")!
///     key.type            // .int
///     key.defaultValue    // "1"
///     key.validator.kafkaNotation   // "[1,...,2147483647]"
public struct BrokerConfigKey: Sendable {
    /// Kafka's name (or a `sluice.` name for Sluice's own settings).
    public let name: String
    public let type: BrokerConfigType
    /// Sluice's default as Kafka would print it; nil when the key has none (Kafka's `null`).
    public let defaultValue: String?
    /// Kafka's default when Sluice's differs, or that the key is Sluice's own.
    public let kafka: KafkaDefault
    public let validator: BrokerConfigValidator
    /// Whether Kafka 3.9 can change the key without a restart. Sluice reads every key once at
    /// start-up (all are read-only here); the mode is kept for dynamic broker configs.
    public let updateMode: BrokerConfigUpdateMode
    public let importance: BrokerConfigImportance
    /// One line, Sluice's own words.
    public let documentation: String
    public let support: BrokerConfigSupport
    /// Sets the parsed value into the config; nil when nothing is set directly (the key is
    /// ignored, or it is resolved with its synonyms once every key is read).
    let apply: (@Sendable (ConfigValue, inout BrokerConfig) throws -> Void)?
    /// The value in force, for keys that map onto one field; nil means "the given text or the default".
    let read: (@Sendable (BrokerConfig) -> String?)?

    /// Whether Kafka has this key.
    public var isKafkaKey: Bool { kafka != .notAKafkaKey }

    /// Passwords are never shown (DescribeConfigs answers null, as Kafka does).
    public var isSensitive: Bool { type == .password }

    /// Parses and validates `raw`; the error names the key, the value and what is allowed.
    public func parse(_ raw: String) throws -> ConfigValue {
        let text = type == .password ? raw : raw.trimmingCharacters(in: .whitespaces)
        func invalid() -> BrokerConfigError {
            BrokerConfigError("invalid value for \(name): '\(raw)' (\(allowedValues))")
        }
        let value: ConfigValue
        switch type {
        case .boolean:
            switch text.lowercased() {
            case "true": value = .boolean(true)
            case "false": value = .boolean(false)
            default: throw invalid()
            }
        case .int, .short, .long:
            guard let v = Int64(text), type.range.contains(v) else { throw invalid() }
            value = .integer(v)
        case .double:
            guard let v = Double(text), !v.isNaN else { throw invalid() }
            value = .double(v)
        case .list:
            value = .list(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        case .string, .class, .password:
            value = .string(text)
        }
        guard validator.accepts(value) else { throw invalid() }
        return value
    }

    /// What a valid value looks like, in words (for error messages).
    public var allowedValues: String {
        switch (type, validator) {
        case (.boolean, _): return "expected true or false"
        case let (_, .range(min, max)):
            switch (min, max) {
            case let (min?, max?): return "expected \(type.article) between \(min) and \(max)"
            case let (min?, nil): return "expected \(type.article) of at least \(min)"
            case let (nil, max?): return "expected \(type.article) of at most \(max)"
            case (nil, nil): return "expected \(type.article)"
            }
        case let (_, .doubleRange(min, max)):
            switch (min, max) {
            case let (min?, max?): return "expected a number between \(Self.format(min)) and \(Self.format(max))"
            case let (min?, nil): return "expected a number of at least \(Self.format(min))"
            case let (nil, max?): return "expected a number of at most \(Self.format(max))"
            case (nil, nil): return "expected a number"
            }
        case let (_, .oneOf(values)): return "expected one of \(values.joined(separator: ", "))"
        case let (_, .listOf(values)): return "expected a comma-separated list of \(values.joined(separator: ", "))"
        case let (_, .format(text)): return "expected \(text)"
        case (_, .any): return "expected \(type.article)"
        }
    }

    /// A Double as Kafka prints one (`0.5`, `1.7976931348623157E308`).
    static func format(_ value: Double) -> String {
        if value == Double.greatestFiniteMagnitude || value.isInfinite { return "1.7976931348623157E308" }
        return String(value)
    }
}

/// Kafka's config types (`ConfigDef.Type`).
public enum BrokerConfigType: String, Sendable, CaseIterable {
    case boolean, string, int, short, long, double, list, `class`, password

    /// DescribeConfigs v3+ `config_type`.
    public var wireValue: Int8 {
        switch self {
        case .boolean: 1
        case .string: 2
        case .int: 3
        case .short: 4
        case .long: 5
        case .double: 6
        case .list: 7
        case .class: 8
        case .password: 9
        }
    }

    /// The values an integer type holds.
    var range: ClosedRange<Int64> {
        switch self {
        case .short: Int64(Int16.min)...Int64(Int16.max)
        case .int: Int64(Int32.min)...Int64(Int32.max)
        default: Int64.min...Int64.max
        }
    }

    var article: String {
        switch self {
        case .int: "an int"
        case .short: "a short"
        case .long: "a long"
        case .double: "a number"
        case .list: "a comma-separated list"
        case .class: "a class name"
        case .boolean: "true or false"
        case .string, .password: "a string"
        }
    }
}

/// Kafka's "Update Mode" of a broker config (its documentation's column).
public enum BrokerConfigUpdateMode: String, Sendable, CaseIterable {
    /// Needs a restart.
    case readOnly = "read-only"
    /// May be changed for one broker at a time.
    case perBroker = "per-broker"
    /// May be changed as a cluster-wide default (and per broker).
    case clusterWide = "cluster-wide"
}

/// Kafka's importance of a config.
public enum BrokerConfigImportance: String, Sendable, CaseIterable {
    case high, medium, low
}

/// What a key accepts beyond its type.
public enum BrokerConfigValidator: Sendable, Equatable {
    case any
    /// Integers within bounds (nil: the type's own bound).
    case range(min: Int64?, max: Int64?)
    case doubleRange(min: Double?, max: Double?)
    /// A string from a set (case-sensitive, as Kafka's `ValidString`).
    case oneOf([String])
    /// A list whose every element is from a set (Kafka's `ValidList`).
    case listOf([String])
    /// A shape the key's own parser checks (e.g. listeners); the text says what it is.
    case format(String)

    func accepts(_ value: ConfigValue) -> Bool {
        switch (self, value) {
        case let (.range(min, max), .integer(v)): return v >= (min ?? .min) && v <= (max ?? .max)
        case let (.doubleRange(min, max), .double(v)): return v >= (min ?? -.infinity) && v <= (max ?? .infinity)
        case let (.oneOf(values), .string(v)): return values.contains(v)
        case let (.listOf(values), .list(items)): return items.allSatisfy(values.contains)
        default: return true
        }
    }

    /// Kafka's documentation notation: `[1,...]`, `[0,...,100]`, `[delete, compact]`.
    public var kafkaNotation: String {
        switch self {
        case .any: return ""
        case let .range(min, max):
            return "[\(min.map(String.init) ?? "..."),...\(max.map { ",\($0)" } ?? "")]"
        case let .doubleRange(min, max):
            return "[\(min.map(BrokerConfigKey.format) ?? "..."),...\(max.map { ",\(BrokerConfigKey.format($0))" } ?? "")]"
        case let .oneOf(values), let .listOf(values):
            return "[\(values.joined(separator: ", "))]"
        case let .format(text):
            return text
        }
    }
}

/// Kafka's default beside Sluice's.
public enum KafkaDefault: Sendable, Equatable {
    /// Sluice uses Kafka's default.
    case same
    /// Kafka's default differs (nil: Kafka has none).
    case differs(String?)
    /// The key is Sluice's own.
    case notAKafkaKey
}

/// How Sluice uses a key.
public enum BrokerConfigSupport: Sendable, Equatable {
    /// Read into the broker's settings.
    case applied
    /// Accepted because Kafka has it, with no effect here; the text says why.
    case ignored(String)
}

/// A parsed config value.
public enum ConfigValue: Sendable, Equatable {
    case boolean(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case list([String])

    /// The value as Kafka prints it (lists joined by commas).
    public var text: String {
        switch self {
        case .boolean(let v): String(v)
        case .integer(let v): String(v)
        case .double(let v): BrokerConfigKey.format(v)
        case .string(let v): v
        case .list(let v): v.joined(separator: ",")
        }
    }

    var integer: Int64 {
        if case .integer(let v) = self { return v }
        preconditionFailure("not an integer: \(self)")
    }

    var boolean: Bool {
        if case .boolean(let v) = self { return v }
        preconditionFailure("not a boolean: \(self)")
    }

    var double: Double {
        if case .double(let v) = self { return v }
        preconditionFailure("not a double: \(self)")
    }

    var string: String {
        if case .string(let v) = self { return v }
        preconditionFailure("not a string: \(self)")
    }

    var list: [String] {
        if case .list(let v) = self { return v }
        preconditionFailure("not a list: \(self)")
    }
}
