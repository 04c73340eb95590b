import SluiceStorage

/// What the controller needs from the node's configuration (Kafka's names in the comments).
struct ControllerSettings: Sendable {
    /// `broker.session.timeout.ms`: a broker that has not heartbeaten for this long is fenced.
    var sessionTimeoutMs: Int64 = 9000
    /// `default.replication.factor`, `num.partitions`: CreateTopics with -1, auto-creation.
    var defaultReplicationFactor: Int16 = 1
    var numPartitions: Int32 = 1
    /// The topic config defaults, to validate topic configs.
    var logDefaults = LogConfig()
    /// `delete.topic.enable`.
    var deleteTopicEnable = true
    /// `auto.leader.rebalance.enable`, `leader.imbalance.check.interval.seconds`,
    /// `leader.imbalance.per.broker.percentage`.
    var autoLeaderRebalanceEnable = true
    var leaderImbalanceCheckIntervalMs: Int64 = 300_000
    var leaderImbalancePerBrokerPercentage = 10
    /// `unclean.leader.election.enable` (the cluster default; a topic may override it).
    var uncleanLeaderElectionEnable = false
    /// `cluster.id` when given; otherwise the first controller picks a random one.
    var clusterId: String?
    /// The data directory, where a pre-quorum `sluice-metadata.json` may wait to be imported.
    var dataDirectory: String = ""
    /// Whether this node is the only voter (legacy import is allowed only then).
    var isSingleVoter = true
    /// Producer ids handed out per AllocateProducerIds.
    var producerIdBlockSize: Int64 = 1000
    /// The most records in one metadata-log batch (Kafka's `MAX_RECORDS_PER_BATCH`); larger
    /// operations span several (``MetadataBatches``).
    var maxRecordsPerBatch = MetadataBatches.defaultMaxRecordsPerBatch
    /// The most partitions one CreateTopics or CreatePartitions request may create (Kafka's
    /// `ReplicationControlManager.MAX_PARTITIONS_PER_BATCH`); more is refused up front with
    /// POLICY_VIOLATION.
    var maxPartitionsPerRequest = TopicValidation.maxPartitionsPerRequest
}
