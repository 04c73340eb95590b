extension BrokerConfig {
    /// Applies a `replica.*` broker setting (Kafka's names) to ``replication``; false when `key`
    /// is not one.
    mutating func setReplicationSetting(_ key: String, _ value: String) throws -> Bool {
        switch key {
        case "replica.lag.time.max.ms":
            replication.replicaLagTimeMaxMs = try Self.integer(key, value, min: 1)
        case "replica.fetch.wait.max.ms":
            replication.fetchWaitMaxMs = try Self.integer(key, value, min: 0)
        case "replica.fetch.min.bytes":
            replication.fetchMinBytes = try Self.integer(key, value, min: 1)
        case "replica.fetch.max.bytes":
            replication.fetchMaxBytes = try Self.integer(key, value, min: 1)
        case "replica.fetch.response.max.bytes":
            replication.fetchResponseMaxBytes = try Self.integer(key, value, min: 1)
        case "replica.fetch.backoff.ms":
            replication.fetchBackoffMs = try Self.integer(key, value, min: 0)
        case "replica.socket.timeout.ms":
            replication.socketTimeoutMs = try Self.integer(key, value, min: 1)
        default:
            return false
        }
        if replication.fetchWaitMaxMs >= replication.socketTimeoutMs {
            throw BrokerConfigError("replica.fetch.wait.max.ms (\(replication.fetchWaitMaxMs)) must be below replica.socket.timeout.ms (\(replication.socketTimeoutMs))")
        }
        return true
    }
}
