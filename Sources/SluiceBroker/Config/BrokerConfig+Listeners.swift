import Foundation
import SluiceBase

/// The parsers of the keys with a shape of their own (listeners, voters, data directories), and
/// the checks that need several keys at once.
extension BrokerConfig {
    /// `NAME://host:port` entries of a comma-separated list, with their names.
    static func namedListeners(_ key: String, _ value: String) throws -> [(name: String, address: BrokerAddress)] {
        let entries = try value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { entry in
            guard let address = BrokerAddress(listener: entry) else {
                throw BrokerConfigError("invalid value for \(key): '\(value)' (expected NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092)")
            }
            let name = entry.range(of: "://").map { String(entry[..<$0.lowerBound]).uppercased() } ?? "PLAINTEXT"
            return (name, address)
        }
        guard !entries.isEmpty else { throw BrokerConfigError("invalid value for \(key): '\(value)' (no listener given)") }
        return entries
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

    /// `1@host:port` entries of `controller.quorum.voters`.
    static func voters(_ key: String, _ entries: [String]) throws -> [Int32: BrokerAddress] {
        var voters: [Int32: BrokerAddress] = [:]
        for entry in entries {
            let parts = entry.split(separator: "@", maxSplits: 1)
            guard parts.count == 2, let id = Int32(parts[0]), id >= 0, let address = BrokerAddress(listener: String(parts[1])) else {
                throw BrokerConfigError("invalid value for \(key): '\(entry)' (expected id@host:port, e.g. 1@127.0.0.1:9093)")
            }
            guard voters[id] == nil else { throw BrokerConfigError("invalid value for \(key): voter \(id) is listed twice") }
            voters[id] = address
        }
        return voters
    }

    /// The entries of `log.dirs`.
    static func directories(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func requireDirectory(_ key: String, _ directories: [String]) throws {
        guard let first = directories.first, !first.isEmpty else {
            throw BrokerConfigError("invalid value for \(key): '' (expected a directory)")
        }
    }

    /// Splits `listeners` into the client listener and the controller listener (by
    /// `controller.listener.names`), and picks the matching advertised address.
    mutating func resolveListeners(_ listeners: String?, advertised: String?, protocols: String?,
                                   warnings: inout [String]) throws {
        let controllerNames = Set(controllerListenerNames.map { $0.uppercased() })
        if let listeners {
            let entries = try Self.namedListeners("listeners", listeners)
            // Every listener needs a security protocol (Kafka refuses to start otherwise).
            for entry in entries { _ = try securityProtocol(ofListener: entry.name) }
            let clients = entries.filter { !controllerNames.contains($0.name) }
            let controllers = entries.filter { controllerNames.contains($0.name) }
            guard let client = clients.first else {
                throw BrokerConfigError("invalid value for listeners: '\(listeners)' has no broker listener (only \(controllerListenerNames.joined(separator: ",")))")
            }
            if clients.count > 1 { warnings.append("listeners: Sluice serves one broker listener; using \(client.name)") }
            listener = client.address
            listenerName = client.name
            controllerListener = controllers.first?.address
        }
        if let advertised {
            let entries = try Self.namedListeners("advertised.listeners", advertised)
            advertisedListener = (entries.first { $0.name == listenerName } ?? entries.first { !controllerNames.contains($0.name) })?.address
        }
    }

    /// The cluster settings agree with each other (checked after every key is read).
    func validateCluster() throws {
        guard cluster.brokerHeartbeatIntervalMs < cluster.brokerSessionTimeoutMs else {
            throw BrokerConfigError("broker.heartbeat.interval.ms (\(cluster.brokerHeartbeatIntervalMs)) must be below "
                                    + "broker.session.timeout.ms (\(cluster.brokerSessionTimeoutMs))")
        }
        if Int64(replication.fetchWaitMaxMs) >= replication.socketTimeoutMs {
            throw BrokerConfigError("replica.fetch.wait.max.ms (\(replication.fetchWaitMaxMs)) must be below "
                                    + "replica.socket.timeout.ms (\(replication.socketTimeoutMs))")
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
