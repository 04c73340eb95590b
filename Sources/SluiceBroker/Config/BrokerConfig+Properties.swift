import Foundation
import SluiceStorage

extension BrokerConfig {
    /// Kafka broker keys that Sluice accepts but that have no effect on a Sluice broker.
    static let acceptedWithoutEffect: Set<String> = [
        "controller.quorum.bootstrap.servers", "inter.broker.listener.name",
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
        // Listeners are resolved at the end: `controller.listener.names` may come after them.
        var listeners: (key: String, value: String)?
        var advertised: (key: String, value: String)?
        var protocols: [String: String] = [:]
        for (key, rawValue) in settings {
            let value = rawValue.trimmingCharacters(in: .whitespaces)
            switch key {
            case "node.id", "broker.id":
                nodeId = try Self.integer(key, value, min: 0)
            case "listeners":
                listeners = (key, value)
            case "advertised.listeners":
                advertised = (key, value)
            case "listener.security.protocol.map":
                protocols = try Self.securityProtocols(key, value)
            case "process.roles":
                let roles = Set(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
                guard roles == ["broker"] || roles == ["broker", "controller"] else {
                    throw BrokerConfigError("invalid value for \(key): '\(value)' (Sluice runs 'broker,controller' or 'broker')")
                }
                isController = roles.contains("controller")
            case "controller.quorum.voters":
                quorumVoters = try Self.voters(key, value)
            case "controller.listener.names":
                controllerListenerNames = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "broker.session.timeout.ms":
                cluster.brokerSessionTimeoutMs = try Self.integer(key, value, min: 1)
            case "broker.heartbeat.interval.ms":
                cluster.brokerHeartbeatIntervalMs = try Self.integer(key, value, min: 1)
            case "quorum.election.timeout.ms":
                cluster.quorumElectionTimeoutMs = try Self.integer(key, value, min: 1)
            case "quorum.fetch.timeout.ms":
                cluster.quorumFetchTimeoutMs = try Self.integer(key, value, min: 1)
            case "quorum.election.backoff.max.ms":
                cluster.quorumElectionBackoffMaxMs = try Self.integer(key, value, min: 1)
            case "quorum.request.timeout.ms":
                cluster.quorumRequestTimeoutMs = try Self.integer(key, value, min: 1)
            case "quorum.retry.backoff.ms":
                cluster.quorumRetryBackoffMs = try Self.integer(key, value, min: 1)
            case "sluice.quorum.tick.ms":
                cluster.quorumTickMs = try Self.integer(key, value, min: 1)
            case "auto.leader.rebalance.enable":
                cluster.autoLeaderRebalanceEnable = try Self.boolean(key, value)
            case "leader.imbalance.check.interval.seconds":
                cluster.leaderImbalanceCheckIntervalSeconds = try Self.integer(key, value, min: 1)
            case "leader.imbalance.per.broker.percentage":
                cluster.leaderImbalancePerBrokerPercentage = try Self.integer(key, value, min: 0)
            case "unclean.leader.election.enable":
                cluster.uncleanLeaderElectionEnable = try Self.boolean(key, value)
            case "metadata.log.max.record.bytes.between.snapshots":
                cluster.metadataSnapshotBytes = try Self.integer(key, value, min: 1)
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
                } else if try setReplicationSetting(key, value) {
                    // a replica.* setting (Replication/)
                } else if Self.acceptedWithoutEffect.contains(key) {
                    warnings.append("\(key) has no effect on a Sluice broker; ignored")
                } else {
                    warnings.append("unknown broker config \(key); ignored")
                    continue
                }
            }
            explicitSettings[key] = value
        }
        if let listeners { try Self.requirePlaintext(listeners, protocols: protocols) }
        if let listeners { try resolveListeners(listeners, advertised: advertised, warnings: &warnings) }
        else if let advertised { try resolveListeners(nil, advertised: advertised, warnings: &warnings) }
        try validateCluster()
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

    /// `NAME://host:port` entries of a comma-separated list, with their names.
    static func namedListeners(_ key: String, _ value: String) throws -> [(name: String, address: HostAndPort)] {
        try value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { entry in
            guard let address = HostAndPort(parsing: entry) else {
                throw BrokerConfigError("invalid value for \(key): '\(value)' (expected NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092)")
            }
            let name = entry.range(of: "://").map { String(entry[..<$0.lowerBound]).uppercased() } ?? "PLAINTEXT"
            return (name, address)
        }
    }

    /// `NAME:PROTOCOL` pairs of `listener.security.protocol.map`, names upper-cased.
    static func securityProtocols(_ key: String, _ value: String) throws -> [String: String] {
        var map: [String: String] = [:]
        for entry in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw BrokerConfigError("invalid value for \(key): '\(value)' (expected NAME:PROTOCOL pairs, e.g. CONTROLLER:PLAINTEXT)")
            }
            map[parts[0]] = parts[1]
        }
        return map
    }

    /// Refuses listeners whose security protocol (from the map, else the listener's own name, as
    /// in Kafka) is TLS or SASL: serving them as plaintext would leave clients that expect a
    /// handshake with a confusing failure, and a user believing their traffic is encrypted.
    static func requirePlaintext(_ listeners: (key: String, value: String), protocols: [String: String]) throws {
        for (name, _) in try namedListeners(listeners.key, listeners.value) {
            let security = protocols[name] ?? name
            if ["SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(security) {
                throw BrokerConfigError("listener \(name) uses security protocol \(security): Sluice serves PLAINTEXT "
                                        + "listeners only (TLS and SASL are not implemented); use PLAINTEXT://host:port")
            }
        }
    }

    /// Splits `listeners` into the client listener and the controller listener (by
    /// `controller.listener.names`), and picks the matching advertised address.
    private mutating func resolveListeners(_ listeners: (key: String, value: String)?,
                                           advertised: (key: String, value: String)?, warnings: inout [String]) throws {
        let controllerNames = Set(controllerListenerNames.map { $0.uppercased() })
        if let (key, value) = listeners {
            let entries = try Self.namedListeners(key, value)
            guard !entries.isEmpty else { throw BrokerConfigError("invalid value for \(key): no listener given") }
            let clients = entries.filter { !controllerNames.contains($0.name) }
            let controllers = entries.filter { controllerNames.contains($0.name) }
            guard let client = clients.first else {
                throw BrokerConfigError("invalid value for \(key): '\(value)' has no broker listener (only \(controllerListenerNames.joined(separator: ",")))")
            }
            if clients.count > 1 { warnings.append("\(key): Sluice serves one broker listener; using \(client.name)") }
            listener = client.address
            listenerName = client.name
            controllerListener = controllers.first?.address
        }
        if let (key, value) = advertised {
            let entries = try Self.namedListeners(key, value)
            advertisedListener = (entries.first { $0.name == listenerName } ?? entries.first { !controllerNames.contains($0.name) })?.address
        }
    }

    /// `1@host:port,2@host:port`.
    static func voters(_ key: String, _ value: String) throws -> [Int32: HostAndPort] {
        var voters: [Int32: HostAndPort] = [:]
        for entry in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "@", maxSplits: 1)
            guard parts.count == 2, let id = Int32(parts[0]), id >= 0, let address = HostAndPort(parsing: String(parts[1])) else {
                throw BrokerConfigError("invalid value for \(key): '\(entry)' (expected id@host:port, e.g. 1@127.0.0.1:9093)")
            }
            guard voters[id] == nil else { throw BrokerConfigError("invalid value for \(key): voter \(id) is listed twice") }
            voters[id] = address
        }
        return voters
    }

    /// The cluster settings agree with each other (checked after every key is read).
    func validateCluster() throws {
        guard cluster.brokerHeartbeatIntervalMs < cluster.brokerSessionTimeoutMs else {
            throw BrokerConfigError("broker.heartbeat.interval.ms (\(cluster.brokerHeartbeatIntervalMs)) must be below "
                                    + "broker.session.timeout.ms (\(cluster.brokerSessionTimeoutMs))")
        }
        if quorumVoters.isEmpty {
            if !isController {
                throw BrokerConfigError("process.roles=broker needs controller.quorum.voters (the controllers to fetch metadata from)")
            }
            return
        }
        if isController {
            guard quorumVoters[nodeId] != nil else {
                throw BrokerConfigError("node.id \(nodeId) has the controller role but is not in controller.quorum.voters (\(quorumVoters.keys.sorted()))")
            }
            guard controllerListener != nil else {
                throw BrokerConfigError("listeners has no controller listener (one named in controller.listener.names: \(controllerListenerNames.joined(separator: ",")))")
            }
        } else if quorumVoters[nodeId] != nil {
            throw BrokerConfigError("node.id \(nodeId) is in controller.quorum.voters but process.roles has no controller role")
        }
    }
}
