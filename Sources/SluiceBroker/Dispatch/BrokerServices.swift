import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import SluiceStorage

/// What the handlers share: this node's identity and address, the metadata, the partitions, the
/// group coordinator and this node's part of the cluster.
struct BrokerServices: Sendable {
    let config: BrokerConfig
    private let advertisedBox: NIOLockedValueBox<BrokerAddress>
    let metadata: MetadataManager
    let replicas: ReplicaManager
    /// Consumer groups and committed offsets (`Groups/`).
    let groups: GroupCoordinator
    /// Transactions (`Transactions/`).
    let transactions: TransactionCoordinator
    /// Appends markers to partitions this broker leads (WriteTxnMarkers, and the coordinator's
    /// own markers for them).
    let markerAppender: TransactionMarkerAppender
    let cluster: ClusterNode
    /// Which partitions this broker leads, at which epoch (from the metadata log).
    let localReplicas: LocalReplicas
    /// Counters the handlers bump (per request and topic, never per record).
    let metrics: BrokerMetrics
    /// Client quotas' measured rates (`Quotas/`).
    let quotas: ClientQuotaManager
    let logger: Logger

    init(config: BrokerConfig, metadata: MetadataManager, replicas: ReplicaManager, groups: GroupCoordinator,
         transactions: TransactionCoordinator, markerAppender: TransactionMarkerAppender, cluster: ClusterNode,
         localReplicas: LocalReplicas, metrics: BrokerMetrics = BrokerMetrics(), logger: Logger) {
        self.config = config
        self.advertisedBox = NIOLockedValueBox(config.advertised(boundPort: config.listener.port))
        self.metadata = metadata
        self.replicas = replicas
        self.groups = groups
        self.transactions = transactions
        self.markerAppender = markerAppender
        self.cluster = cluster
        self.localReplicas = localReplicas
        self.metrics = metrics
        self.quotas = ClientQuotaManager(samples: Int(config.quotaWindowNum), windowSeconds: Int(config.quotaWindowSizeSeconds))
        self.logger = logger
    }

    var nodeId: Int32 { config.nodeId }

    /// The host and port clients are told to use (the advertised listener, or the bound address).
    var advertised: BrokerAddress { advertisedBox.withLockedValue { $0 } }

    /// Set once the listener is bound (its port is known only then when configured as 0).
    func setAdvertised(_ address: BrokerAddress) { advertisedBox.withLockedValue { $0 = address } }

    /// Runs blocking disk work (log reads, fsync) on the I/O pool. Never for waiting on the network
    /// or on another component (the controller, a metadata image): that waits on futures, so the
    /// pool stays free for fetches and replication.
    func offLoop<T: Sendable>(_ context: RequestContext, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        replicas.offLoop(on: context.eventLoop, body)
    }

    /// Why this broker cannot serve `tp` as its leader, or nil when it leads it.
    func notLeaderError(_ tp: TopicPartition) -> ApiError? {
        guard let leadership = localReplicas.leadership(of: tp) else {
            if let p = cluster.view.image.partition(tp), p.leader != nodeId {
                return ApiError(.notLeaderOrFollower, "Broker \(nodeId) is not the leader of \(tp) (the leader is \(p.leader)).")
            }
            return cluster.view.image.partition(tp) == nil
                ? ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition.")
                : ApiError(.notLeaderOrFollower, "Broker \(nodeId) is not serving \(tp) yet.")
        }
        guard leadership.isLeader else {
            return ApiError(.notLeaderOrFollower, "Broker \(nodeId) is not the leader of \(tp) (the leader is \(leadership.leader)).")
        }
        return nil
    }

    /// Why this broker, although its metadata says it leads `tp`, must not act as its leader:
    /// it has lost its lease (no heartbeat answered for `broker.session.timeout.ms`, see
    /// ``BrokerLifecycle/holdsLease``) and followers of `tp` stopped fetching from it (an ISR
    /// shrink waits for the controller). That is a leader cut off from the controller and the
    /// other replicas: the controller has fenced it and elected another leader, which this broker
    /// cannot learn. It could not commit an `acks=all` write anyway, and an `acks=1` write would be
    /// truncated when it rejoins; answering as the leader would only keep clients that can still
    /// reach it (librdkafka asks the broker it used last for metadata) away from the new leader.
    /// Nil otherwise — also when the controller is merely unreachable while the followers still
    /// fetch (a quorum outage): then this broker goes on leading, as Kafka's brokers do.
    func cutOffLeaderError(_ tp: TopicPartition) -> ApiError? {
        guard !cluster.lifecycle.holdsLease, replicas.engine.partition(tp)?.isLeaderShrinkingIsr == true else { return nil }
        return ApiError(.notLeaderOrFollower, """
            Broker \(nodeId) has had no heartbeat answered by the controller for \(config.cluster.brokerSessionTimeoutMs) ms \
            and the followers of \(tp) stopped fetching from it: another broker leads it now.
            """)
    }

    /// Why this broker cannot serve `tp` as its leader to a client that believes the leader epoch
    /// is `currentLeaderEpoch` (-1: it sent none), or nil when it can: consumer fetches,
    /// ListOffsets and OffsetForLeaderEpoch. The replica's own check
    /// (``ReplicaPartition/leaderCheck(currentLeaderEpoch:)``) decides, epoch first, as Kafka
    /// does: FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH even on a follower; then
    /// NOT_LEADER_OR_FOLLOWER (or UNKNOWN_TOPIC_OR_PARTITION) with ``notLeaderError(_:)``'s
    /// message. Never waits on a partition's lock: callable from an event loop.
    func leaderError(_ tp: TopicPartition, currentLeaderEpoch: Int32, followerMayServe: Bool = false) -> ApiError? {
        let partition = replicas.engine.partition(tp)
        let code = (followerMayServe ? partition?.replicaCheck(currentLeaderEpoch: currentLeaderEpoch)
            : partition?.leaderCheck(currentLeaderEpoch: currentLeaderEpoch)) ?? .notLeaderOrFollower
        switch code {
        case .noError:
            return nil
        case .notLeaderOrFollower:
            return notLeaderError(tp) ?? ApiError(.notLeaderOrFollower, "Broker \(nodeId) is not serving \(tp) as its leader yet.")
        case .fencedLeaderEpoch:
            return ApiError(code, "The leader epoch \(currentLeaderEpoch) of \(tp) is older than this broker's.")
        default:
            return ApiError(code, "The leader epoch \(currentLeaderEpoch) of \(tp) is newer than this broker's.")
        }
    }

    /// The leader and leader epoch of a partition, and the leader's client endpoint, for
    /// NOT_LEADER_OR_FOLLOWER hints.
    func leaderHint(_ tp: TopicPartition) -> (leader: Int32, epoch: Int32, endpoint: BrokerEndpoint?)? {
        let image = cluster.view.image
        guard let p = image.partition(tp) else { return nil }
        return (p.leader, p.leaderEpoch, image.brokers[p.leader]?.clientEndpoint)
    }
}
