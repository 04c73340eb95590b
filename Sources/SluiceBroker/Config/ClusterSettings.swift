/// Cluster-related settings under Kafka's names (defaults are Kafka's; local clusters use
/// shorter ones, see `sluice cluster up`).
public struct ClusterSettings: Sendable, Equatable {
    /// `broker.session.timeout.ms`: the controller fences a broker whose heartbeats stop this long.
    public var brokerSessionTimeoutMs: Int64 = 9000
    /// `broker.heartbeat.interval.ms`.
    public var brokerHeartbeatIntervalMs: Int64 = 2000
    /// `controller.quorum.election.timeout.ms`, `controller.quorum.fetch.timeout.ms`,
    /// `controller.quorum.election.backoff.max.ms`, `controller.quorum.request.timeout.ms`,
    /// `controller.quorum.retry.backoff.ms`.
    public var quorumElectionTimeoutMs = 1000
    public var quorumFetchTimeoutMs = 2000
    public var quorumElectionBackoffMaxMs = 1000
    public var quorumRequestTimeoutMs = 2000
    public var quorumRetryBackoffMs = 20
    /// The Raft driver's tick (Sluice's own: `sluice.quorum.tick.ms`).
    public var quorumTickMs = 10
    /// `auto.leader.rebalance.enable`, `leader.imbalance.check.interval.seconds`,
    /// `leader.imbalance.per.broker.percentage`.
    public var autoLeaderRebalanceEnable = true
    public var leaderImbalanceCheckIntervalSeconds: Int64 = 300
    public var leaderImbalancePerBrokerPercentage = 10
    /// `unclean.leader.election.enable` (cluster default).
    public var uncleanLeaderElectionEnable = false
    /// `metadata.log.max.record.bytes.between.snapshots`.
    public var metadataSnapshotBytes = 20 * 1024 * 1024

    public init() {}
}
