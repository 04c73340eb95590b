import Foundation
import SluiceStorage

extension BrokerConfig {
    /// Kafka broker keys that Sluice accepts but that have no effect on a Sluice broker.
    static let acceptedWithoutEffect: Set<String> = [
        "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
        "controller.listener.names", "listener.security.protocol.map", "inter.broker.listener.name",
        "num.network.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
        "num.recovery.threads.per.data.dir",
        "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
        "zookeeper.connect",
        "zookeeper.connection.timeout.ms", "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ]

    /// Applies settings under Kafka's broker key names, in order. Throws on the first invalid
    /// value, naming its key; returns warnings (unknown keys, keys without effect).
    @discardableResult
    public mutating func apply(_ settings: [(key: String, value: String)]) throws -> [String] {
        var warnings: [String] = []
        // Retention is given in hours, minutes or ms; the finest unit wins, as in Kafka.
        var retention: [String: String] = [:]
        for (key, rawValue) in settings {
            let value = rawValue.trimmingCharacters(in: .whitespaces)
            switch key {
            case "node.id", "broker.id":
                nodeId = try Self.integer(key, value, min: 0)
            case "listeners":
                listener = try Self.listener(key, value, warnings: &warnings)
            case "advertised.listeners":
                advertisedListener = try Self.listener(key, value, warnings: &warnings)
            case "log.dirs", "log.dir":
                let dirs = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard let first = dirs.first, !first.isEmpty else { throw BrokerConfigError("\(key) must name a directory") }
                if dirs.count > 1 { warnings.append("\(key): Sluice uses one data directory; using \(first)") }
                dataDirectory = first
            case "broker.rack":
                rack = value.isEmpty ? nil : value
            case "num.partitions":
                numPartitions = try Self.integer(key, value, min: 1)
            case "default.replication.factor":
                defaultReplicationFactor = try Self.integer(key, value, min: 1)
            case "auto.create.topics.enable":
                autoCreateTopicsEnable = try Self.boolean(key, value)
            case "delete.topic.enable":
                deleteTopicEnable = try Self.boolean(key, value)
            case "socket.request.max.bytes":
                socketRequestMaxBytes = try Self.integer(key, value, min: 1)
            case "num.io.threads":
                ioThreads = try Self.integer(key, value, min: 1)
            case "log.retention.hours", "log.retention.minutes", "log.retention.ms":
                retention[key] = value
            case "log.retention.check.interval.ms":
                background.retentionCheckIntervalMs = try Self.integer(key, value, min: 1)
            case "log.flush.scheduler.interval.ms":
                background.flushCheckIntervalMs = try Self.integer(key, value, min: 1)
            case "log.flush.offset.checkpoint.interval.ms":
                background.recoveryPointCheckpointIntervalMs = try Self.integer(key, value, min: 1)
            case "replica.high.watermark.checkpoint.interval.ms":
                background.highWatermarkCheckpointIntervalMs = try Self.integer(key, value, min: 1)
            case "producer.id.expiration.ms":
                background.producerIdExpirationMs = try Self.integer(key, value, min: 1)
            case "producer.id.expiration.check.interval.ms":
                background.producerIdExpirationCheckIntervalMs = try Self.integer(key, value, min: 1)
            case "log.cleaner.enable":
                background.cleanerEnabled = try Self.boolean(key, value)
            case "log.cleaner.backoff.ms":
                background.cleanerBackoffMs = try Self.integer(key, value, min: 0)
            case "log.cleaner.dedupe.buffer.size":
                background.cleanerDedupeBufferSize = try Self.integer(key, value, min: 1024 * 1024)
            case "log.roll.hours":
                let hours: Int64 = try Self.integer(key, value, min: 1)
                try setTopicDefault("segment.ms", String(hours * 3_600_000), key: key)
            case "log.roll.jitter.hours":
                let hours: Int64 = try Self.integer(key, value, min: 0)
                try setTopicDefault("segment.jitter.ms", String(hours * 3_600_000), key: key)
            default:
                if let definition = LogConfig.definitions.first(where: { $0.brokerKey == key }) {
                    try setTopicDefault(definition.name, value, key: key)
                } else if try setGroupSetting(key, value) {
                    // a group coordinator setting
                } else if Self.acceptedWithoutEffect.contains(key) {
                    warnings.append("\(key) has no effect on a Sluice broker; ignored")
                } else {
                    warnings.append("unknown broker config \(key); ignored")
                    continue
                }
            }
            explicitSettings[key] = value
        }
        if let ms = retention["log.retention.ms"] {
            try setTopicDefault("retention.ms", ms, key: "log.retention.ms")
        } else if let minutes = retention["log.retention.minutes"] {
            let m: Int64 = try Self.integer("log.retention.minutes", minutes, min: -1)
            try setTopicDefault("retention.ms", String(m < 0 ? -1 : m * 60_000), key: "log.retention.minutes")
        } else if let hours = retention["log.retention.hours"] {
            let h: Int64 = try Self.integer("log.retention.hours", hours, min: -1)
            try setTopicDefault("retention.ms", String(h < 0 ? -1 : h * 3_600_000), key: "log.retention.hours")
        }
        return warnings
    }

    private mutating func setGroupSetting(_ key: String, _ value: String) throws -> Bool {
        do {
            return try groups.set(key, to: value)
        } catch let error as GroupConfigError {
            throw BrokerConfigError("invalid value for \(key): \(error)")
        }
    }

    private mutating func setTopicDefault(_ name: String, _ value: String, key: String) throws {
        do {
            try logDefaults.set(name, to: value)
        } catch let error as StorageError {
            throw BrokerConfigError("invalid value for \(key): \(error)")
        }
    }

    static func integer<T: FixedWidthInteger>(_ key: String, _ value: String, min: T) throws -> T {
        guard let v = T(value), v >= min else {
            throw BrokerConfigError("invalid value for \(key): '\(value)' (an integer >= \(min) is expected)")
        }
        return v
    }

    static func boolean(_ key: String, _ value: String) throws -> Bool {
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default: throw BrokerConfigError("invalid value for \(key): '\(value)' (true or false is expected)")
        }
    }

    /// The PLAINTEXT listener of a comma-separated list (or the only one).
    static func listener(_ key: String, _ value: String, warnings: inout [String]) throws -> HostAndPort {
        let entries = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let chosen = entries.first(where: { $0.uppercased().hasPrefix("PLAINTEXT://") }) ?? entries.first ?? ""
        guard let parsed = HostAndPort(parsing: chosen) else {
            throw BrokerConfigError("invalid value for \(key): '\(value)' (expected PLAINTEXT://host:port)")
        }
        if entries.count > 1 { warnings.append("\(key): Sluice serves one listener; using \(chosen)") }
        return parsed
    }
}
