/// The transaction coordinator's settings, under Kafka's broker config names and with Kafka's
/// defaults (read from broker.properties through `BrokerConfigKey.table`).
public struct TransactionCoordinatorConfig: Sendable, Equatable {
    /// `transaction.state.log.num.partitions`.
    public var stateLogPartitions: Int32 = 50
    /// `transaction.state.log.replication.factor` (capped at the brokers there are when the
    /// topic is created).
    public var stateLogReplicationFactor: Int16 = 3
    /// `transaction.state.log.min.isr`.
    public var stateLogMinIsr: Int32 = 2
    /// `transaction.state.log.segment.bytes`.
    public var stateLogSegmentBytes: Int32 = 104_857_600
    /// `transaction.max.timeout.ms`: InitProducerId asking for a longer `transaction.timeout.ms`
    /// gets INVALID_TRANSACTION_TIMEOUT.
    public var maxTimeoutMs: Int32 = 900_000
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how often the coordinator
    /// looks for transactions open longer than their timeout (and aborts them).
    public var abortTimedOutCleanupIntervalMs: Int32 = 10_000
    /// How long a failed marker write waits before it is tried again (Kafka's
    /// `TransactionMarkerChannelManager` retries at once after a metadata refresh; a short pause
    /// keeps a dead leader from spinning the loop).
    public var markerRetryBackoffMs: Int64 = 100

    public init() {}
}
