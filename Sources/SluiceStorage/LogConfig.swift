import Foundation

/// A partition log's settings, under Kafka's topic-level config names and with Kafka's defaults.
///
/// Topic configs override the broker's defaults (`log.retention.ms` and the like, see
/// ``ConfigDefinition/brokerKey``); ``init(overrides:defaults:)`` validates them and names the
/// offending key when a value is wrong.
public struct LogConfig: Sendable, Equatable {
    public var cleanupPolicy: CleanupPolicy = .delete
    public var compressionType: String = "producer"
    public var deleteRetentionMs: Int64 = 86_400_000
    public var fileDeleteDelayMs: Int64 = 60_000
    public var flushMessages: Int64 = Int64.max
    public var flushMs: Int64 = Int64.max
    public var indexIntervalBytes: Int32 = 4096
    public var maxMessageBytes: Int32 = 1_048_588
    public var messageTimestampType: String = "CreateTime"
    /// How far before / after the broker's clock a create-time timestamp may be (KIP-937);
    /// unbounded by default, as in Kafka. See ``effectiveTimestampBeforeMaxMs``.
    public var messageTimestampBeforeMaxMs: Int64 = Int64.max
    public var messageTimestampAfterMaxMs: Int64 = Int64.max
    /// Deprecated (Kafka 3.6+): the bound on both sides when the two above are left unbounded.
    public var messageTimestampDifferenceMaxMs: Int64 = Int64.max
    public var minCleanableDirtyRatio: Double = 0.5
    public var minCompactionLagMs: Int64 = 0
    public var maxCompactionLagMs: Int64 = Int64.max
    public var minInsyncReplicas: Int32 = 1
    public var retentionBytes: Int64 = -1
    public var retentionMs: Int64 = 604_800_000
    public var segmentBytes: Int32 = 1_073_741_824
    public var segmentIndexBytes: Int32 = 10_485_760
    public var segmentMs: Int64 = 604_800_000
    public var segmentJitterMs: Int64 = 0
    public var uncleanLeaderElectionEnable: Bool = false
    public var preallocate: Bool = false
    /// Deprecated keys Kafka 3.9 still accepts (KIP-724): stored and described, never applied.
    /// `message.format.version` has no effect once the cluster speaks magic 2 only (Kafka ignores
    /// it from 3.0 on); Sluice always converts batches for Fetch v0-3, whatever
    /// `message.downconversion.enable` says.
    public var messageFormatVersion: String = "3.0-IV1"
    public var messageDownconversionEnable: Bool = true

    public init() {}

    /// `defaults` with the given topic-level configs applied and validated.
    public init(overrides: [String: String], defaults: LogConfig = LogConfig()) throws {
        self = defaults
        for (key, value) in overrides {
            try set(key, to: value)
        }
    }

    public var usesLogAppendTime: Bool { messageTimestampType == "LogAppendTime" }

    /// `message.timestamp.before.max.ms`, or the deprecated `message.timestamp.difference.max.ms`
    /// when it is left unbounded (Kafka 3.9's `LogConfig` rule); likewise for after.
    public var effectiveTimestampBeforeMaxMs: Int64 {
        messageTimestampBeforeMaxMs != Int64.max ? messageTimestampBeforeMaxMs : messageTimestampDifferenceMaxMs
    }

    public var effectiveTimestampAfterMaxMs: Int64 {
        messageTimestampAfterMaxMs != Int64.max ? messageTimestampAfterMaxMs : messageTimestampDifferenceMaxMs
    }

    /// Sets one config by its Kafka name, validating the value.
    public mutating func set(_ key: String, to value: String) throws {
        guard let definition = Self.definitions.first(where: { $0.name == key }) else {
            throw StorageError.invalidConfig("unknown topic config '\(key)'")
        }
        try definition.apply(value, &self)
    }

    /// The current value of a config by its Kafka name, as DescribeConfigs shows it.
    public func value(of key: String) -> String? {
        Self.definitions.first(where: { $0.name == key })?.read(self)
    }

    /// Every topic-level config, in Kafka's order.
    public static var names: [String] { definitions.map(\.name) }
}

/// `cleanup.policy`: delete, compact, or both.
public struct CleanupPolicy: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let delete = CleanupPolicy(rawValue: 1)
    public static let compact = CleanupPolicy(rawValue: 2)

    public init?(kafkaValue: String) {
        var policy: CleanupPolicy = []
        for part in kafkaValue.split(separator: ",") {
            switch part.trimmingCharacters(in: .whitespaces).lowercased() {
            case "delete": policy.insert(.delete)
            case "compact": policy.insert(.compact)
            default: return nil
            }
        }
        if policy.isEmpty { return nil }
        self = policy
    }

    public var description: String {
        [contains(.compact) ? "compact" : nil, contains(.delete) ? "delete" : nil]
            .compactMap { $0 }.joined(separator: ",")
    }
}

/// One topic-level config: its name, the broker-level default's name, and how to read and set it.
public struct ConfigDefinition: Sendable {
    public var name: String
    /// The broker config that supplies the default (e.g. `log.retention.ms` for `retention.ms`).
    public var brokerKey: String?
    let read: @Sendable (LogConfig) -> String
    let apply: @Sendable (String, inout LogConfig) throws -> Void
}

extension LogConfig {
    private static func int64(_ name: String, broker: String?, min: Int64 = Int64.min,
                              _ kp: WritableKeyPath<LogConfig, Int64> & Sendable) -> ConfigDefinition {
        ConfigDefinition(name: name, brokerKey: broker, read: { String($0[keyPath: kp]) }, apply: { text, c in
            guard let v = Int64(text.trimmingCharacters(in: .whitespaces)), v >= min else {
                throw StorageError.invalidConfig("\(name) must be an integer >= \(min), got '\(text)'")
            }
            c[keyPath: kp] = v
        })
    }

    private static func int32(_ name: String, broker: String?, min: Int32 = Int32.min,
                              _ kp: WritableKeyPath<LogConfig, Int32> & Sendable) -> ConfigDefinition {
        ConfigDefinition(name: name, brokerKey: broker, read: { String($0[keyPath: kp]) }, apply: { text, c in
            guard let v = Int32(text.trimmingCharacters(in: .whitespaces)), v >= min else {
                throw StorageError.invalidConfig("\(name) must be an integer >= \(min), got '\(text)'")
            }
            c[keyPath: kp] = v
        })
    }

    private static func bool(_ name: String, broker: String?, _ kp: WritableKeyPath<LogConfig, Bool> & Sendable) -> ConfigDefinition {
        ConfigDefinition(name: name, brokerKey: broker, read: { String($0[keyPath: kp]) }, apply: { text, c in
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true": c[keyPath: kp] = true
            case "false": c[keyPath: kp] = false
            default: throw StorageError.invalidConfig("\(name) must be true or false, got '\(text)'")
            }
        })
    }

    private static func oneOf(_ name: String, broker: String?, _ allowed: [String],
                              _ kp: WritableKeyPath<LogConfig, String> & Sendable) -> ConfigDefinition {
        ConfigDefinition(name: name, brokerKey: broker, read: { $0[keyPath: kp] }, apply: { text, c in
            let v = text.trimmingCharacters(in: .whitespaces)
            guard allowed.contains(v) else {
                throw StorageError.invalidConfig("\(name) must be one of \(allowed.joined(separator: ", ")), got '\(text)'")
            }
            c[keyPath: kp] = v
        })
    }

    /// The topic-level configs Sluice understands, with the broker keys for their defaults.
    public static let definitions: [ConfigDefinition] = [
        ConfigDefinition(name: "cleanup.policy", brokerKey: "log.cleanup.policy", read: { $0.cleanupPolicy.description }, apply: { text, c in
            guard let p = CleanupPolicy(kafkaValue: text) else {
                throw StorageError.invalidConfig("cleanup.policy must be delete, compact or compact,delete, got '\(text)'")
            }
            c.cleanupPolicy = p
        }),
        oneOf("compression.type", broker: "compression.type", ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"], \.compressionType),
        int64("delete.retention.ms", broker: "log.cleaner.delete.retention.ms", min: 0, \.deleteRetentionMs),
        int64("file.delete.delay.ms", broker: "log.segment.delete.delay.ms", min: 0, \.fileDeleteDelayMs),
        int64("flush.messages", broker: "log.flush.interval.messages", min: 1, \.flushMessages),
        int64("flush.ms", broker: "log.flush.interval.ms", min: 0, \.flushMs),
        int32("index.interval.bytes", broker: "log.index.interval.bytes", min: 0, \.indexIntervalBytes),
        int32("max.message.bytes", broker: "message.max.bytes", min: 0, \.maxMessageBytes),
        ConfigDefinition(name: "min.cleanable.dirty.ratio", brokerKey: "log.cleaner.min.cleanable.ratio",
                         read: { String($0.minCleanableDirtyRatio) }, apply: { text, c in
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v >= 0, v <= 1 else {
                throw StorageError.invalidConfig("min.cleanable.dirty.ratio must be between 0 and 1, got '\(text)'")
            }
            c.minCleanableDirtyRatio = v
        }),
        int64("max.compaction.lag.ms", broker: "log.cleaner.max.compaction.lag.ms", min: 1, \.maxCompactionLagMs),
        int64("min.compaction.lag.ms", broker: "log.cleaner.min.compaction.lag.ms", min: 0, \.minCompactionLagMs),
        bool("message.downconversion.enable", broker: "log.message.downconversion.enable", \.messageDownconversionEnable),
        ConfigDefinition(name: "message.format.version", brokerKey: "log.message.format.version",
                         read: { $0.messageFormatVersion }, apply: { text, c in
            let v = text.trimmingCharacters(in: .whitespaces)
            guard isKafkaVersion(v) else {
                throw StorageError.invalidConfig("Invalid value \(text) for configuration message.format.version: Version \(text) is not a valid version")
            }
            c.messageFormatVersion = v
        }),
        int64("message.timestamp.after.max.ms", broker: "log.message.timestamp.after.max.ms", min: 0, \.messageTimestampAfterMaxMs),
        int64("message.timestamp.before.max.ms", broker: "log.message.timestamp.before.max.ms", min: 0, \.messageTimestampBeforeMaxMs),
        int64("message.timestamp.difference.max.ms", broker: "log.message.timestamp.difference.max.ms", min: 0,
              \.messageTimestampDifferenceMaxMs),
        oneOf("message.timestamp.type", broker: "log.message.timestamp.type", ["CreateTime", "LogAppendTime"], \.messageTimestampType),
        int32("min.insync.replicas", broker: "min.insync.replicas", min: 1, \.minInsyncReplicas),
        bool("preallocate", broker: "log.preallocate", \.preallocate),
        int64("retention.bytes", broker: "log.retention.bytes", \.retentionBytes),
        int64("retention.ms", broker: "log.retention.ms", min: -1, \.retentionMs),
        int32("segment.bytes", broker: "log.segment.bytes", min: 14, \.segmentBytes),
        int32("segment.index.bytes", broker: "log.index.size.max.bytes", min: 4, \.segmentIndexBytes),
        int64("segment.jitter.ms", broker: "log.roll.jitter.ms", min: 0, \.segmentJitterMs),
        int64("segment.ms", broker: "log.roll.ms", min: 1, \.segmentMs),
        bool("unclean.leader.election.enable", broker: "unclean.leader.election.enable", \.uncleanLeaderElectionEnable),
    ]
}

extension LogConfig {
    /// A version as Kafka's `MetadataVersionValidator` accepts it: `0.10.2`, `2.8`, `3.0-IV1`.
    static func isKafkaVersion(_ text: String) -> Bool {
        var rest = Substring(text)
        if let iv = rest.range(of: "-IV") {
            guard !rest[iv.upperBound...].isEmpty, rest[iv.upperBound...].allSatisfy(\.isASCIIDigit) else { return false }
            rest = rest[..<iv.lowerBound]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        return (2...3).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
