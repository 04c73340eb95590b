/// The replication settings, under Kafka's broker config names.
///
/// Times are milliseconds on whatever clock the driver passes in (the wall clock in the broker,
/// simulated time in the simulation).
public struct ReplicationConfig: Sendable, Equatable {
    /// `replica.lag.time.max.ms`: a follower that has not been caught up with the leader's log
    /// end for this long leaves the ISR. Kafka's default is 30 s; local clusters use less.
    public var replicaLagTimeMaxMs: Int64 = 30_000
    /// `replica.fetch.wait.max.ms`: how long a follower's fetch waits at the leader for data.
    public var fetchWaitMaxMs: Int32 = 500
    /// `replica.fetch.min.bytes`.
    public var fetchMinBytes: Int32 = 1
    /// `replica.fetch.max.bytes`: per partition, except that the first batch always comes whole.
    public var fetchMaxBytes: Int32 = 1_048_576
    /// `replica.fetch.response.max.bytes`: per fetch response.
    public var fetchResponseMaxBytes: Int32 = 10_485_760
    /// `replica.fetch.backoff.ms`: the pause after a failed fetch.
    public var fetchBackoffMs: Int64 = 1_000
    /// `replica.socket.timeout.ms`: an inter-broker request without an answer this long fails.
    public var socketTimeoutMs: Int64 = 30_000
    /// The pause before an AlterPartition that failed with a retriable error is sent again.
    public var alterPartitionRetryMs: Int64 = 100

    public init() {}

    /// How often the leader looks for followers to drop from the ISR (Kafka: half the lag time).
    public var isrShrinkCheckIntervalMs: Int64 { max(1, replicaLagTimeMaxMs / 2) }
}
