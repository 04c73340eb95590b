import SluiceBase

/// The cluster as the views see it: one poll's observation plus everything derived from the polls
/// before it (rates, trends, brokers that disappeared). Immutable; the poller's builder makes a new
/// one per poll. Views never talk to the network: they render a snapshot.
public struct ClusterSnapshot: Equatable, Sendable {
    /// Counts polls, so the UI can tell a new snapshot from a repeated one.
    public var sequence: Int
    /// Wall-clock seconds since 1970 of the poll.
    public var takenAt: Double
    /// Monotonic seconds of the poll.
    public var monotonic: Double
    public var clusterID: String?
    public var controllerID: Int32?
    /// Every broker seen since the console started, by id (ones no longer listed have `registered == false`).
    public var brokers: [BrokerSnapshot]
    /// Topics by name.
    public var topics: [TopicSnapshot]
    /// Consumer groups by id.
    public var groups: [GroupSnapshot]
    /// Cluster-wide throughput.
    public var totals: Throughput
    public var messagesInSeries: RateSeries
    public var bytesInSeries: RateSeries
    public var messagesOutSeries: RateSeries
    public var bytesOutSeries: RateSeries
    /// What failed during the poll, in words.
    public var errors: [String]
    /// Of those, the ones the poll before had too: what the status line shows (a broker that
    /// is starting fails a request or two, which is no news).
    public var lastingErrors: [String]
    /// Why groups cannot be listed at all, if so.
    public var groupsError: String?
    /// Why the last poll could not list the groups (they are then the ones listed before), if so.
    public var groupsUnlisted: String?
    /// The metadata quorum as DescribeQuorum last described it (nil: the cluster does not answer it).
    public var quorum: ObservedQuorum?
    /// What the console's principal may do on the cluster (Kafka's bit field; nil: not reported).
    public var clusterAuthorizedOperations: Int32?

    /// Whether an authorizer limits what the console sees: the cluster reports its operations and
    /// DESCRIBE (code 8) or ALL (code 2) is not among them, so Metadata and ListGroups may leave
    /// out what the principal is not authorised to describe.
    public var mayHideUnauthorized: Bool {
        guard let operations = clusterAuthorizedOperations else { return false }
        return operations & (1 << 8) == 0 && operations & (1 << 2) == 0
    }

    public init(
        sequence: Int, takenAt: Double, monotonic: Double, clusterID: String?, controllerID: Int32?,
        brokers: [BrokerSnapshot], topics: [TopicSnapshot], groups: [GroupSnapshot], totals: Throughput = Throughput(),
        messagesInSeries: RateSeries = RateSeries(), bytesInSeries: RateSeries = RateSeries(),
        messagesOutSeries: RateSeries = RateSeries(), bytesOutSeries: RateSeries = RateSeries(), errors: [String] = [],
        groupsError: String? = nil, groupsUnlisted: String? = nil, quorum: ObservedQuorum? = nil
    ) {
        self.quorum = quorum
        self.groupsError = groupsError
        self.groupsUnlisted = groupsUnlisted
        self.sequence = sequence
        self.takenAt = takenAt
        self.monotonic = monotonic
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.brokers = brokers
        self.topics = topics
        self.groups = groups
        self.totals = totals
        self.messagesInSeries = messagesInSeries
        self.bytesInSeries = bytesInSeries
        self.messagesOutSeries = messagesOutSeries
        self.bytesOutSeries = bytesOutSeries
        self.errors = errors
        self.lastingErrors = errors
    }

    /// Every partition of every topic.
    public var partitions: [PartitionSnapshot] { topics.flatMap(\.partitions) }
    public var partitionCount: Int { topics.reduce(0) { $0 + $1.partitions.count } }
    public var underReplicatedCount: Int { topics.reduce(0) { $0 + $1.partitions.filter(\.isUnderReplicated).count } }

    public func broker(_ id: Int32) -> BrokerSnapshot? { brokers.first { $0.id == id } }
    public func topic(_ name: String) -> TopicSnapshot? { topics.first { $0.name == name } }
    public func group(_ id: String) -> GroupSnapshot? { groups.first { $0.id == id } }
}

public struct BrokerSnapshot: Equatable, Sendable {
    public var id: Int32
    public var host: String
    public var port: Int32
    public var rack: String?
    /// Listed by the cluster's metadata in this poll (live and unfenced).
    public var registered: Bool
    /// The last direct request to it; nil if none was made.
    public var probe: BrokerProbe?
    /// Partitions it leads, holds a replica of, and leads while under-replicated.
    public var leaderCount: Int
    public var replicaCount: Int
    public var underReplicatedCount: Int
    /// Throughput of the partitions it leads.
    public var throughput: Throughput
    /// Bytes of all its replicas on disk; nil when DescribeLogDirs got no answer.
    public var logSize: Int64?
    /// Its request-time histograms from its `/metrics` (nil: no endpoint, or no answer).
    public var serverLatency: ServerLatencyHistograms?
    /// The 99th percentile of its produce and fetch request times, in ms, over the requests
    /// served since the poll before (nil: none served, or no endpoint).
    public var produceP99Ms: Double?
    public var fetchP99Ms: Double?
    /// The clients it throttled since the poll before (client quotas), most throttled first.
    public var throttledClients: [ThrottledClient] = []

    public init(
        id: Int32, host: String, port: Int32, rack: String? = nil, registered: Bool, probe: BrokerProbe? = nil,
        leaderCount: Int = 0, replicaCount: Int = 0, underReplicatedCount: Int = 0,
        throughput: Throughput = Throughput(), logSize: Int64? = nil
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.rack = rack
        self.registered = registered
        self.probe = probe
        self.leaderCount = leaderCount
        self.replicaCount = replicaCount
        self.underReplicatedCount = underReplicatedCount
        self.throughput = throughput
        self.logSize = logSize
    }

    public var address: String { "\(host):\(port)" }
}

public struct TopicSnapshot: Equatable, Sendable {
    public var name: String
    public var isInternal: Bool
    public var partitions: [PartitionSnapshot]
    public var throughput: Throughput
    /// Messages in per second, for the 60-second trend.
    public var trend: RateSeries
    /// Bytes of the leader replicas (the data, not counting copies); nil when unknown.
    public var size: Int64?
    /// Sum of the lag of every group that committed offsets on this topic; nil when none did.
    public var lag: Int64?
    public var error: String?

    public init(
        name: String, isInternal: Bool = false, partitions: [PartitionSnapshot], throughput: Throughput = Throughput(),
        trend: RateSeries = RateSeries(), size: Int64? = nil, lag: Int64? = nil, error: String? = nil
    ) {
        self.name = name
        self.isInternal = isInternal
        self.partitions = partitions
        self.throughput = throughput
        self.trend = trend
        self.size = size
        self.lag = lag
        self.error = error
    }

    /// The replication factor (of its first partition; Kafka topics share one).
    public var replicationFactor: Int { partitions.first?.replicas.count ?? 0 }
    public var underReplicatedCount: Int { partitions.filter(\.isUnderReplicated).count }
}

public struct PartitionSnapshot: Equatable, Sendable {
    public var topic: String
    public var partition: Int32
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var offlineReplicas: [Int32]
    public var highWatermark: Int64?
    public var logStartOffset: Int64?
    /// Bytes of the leader's replica; nil when unknown.
    public var size: Int64?
    public var throughput: Throughput

    public init(
        topic: String, partition: Int32, leader: Int32, leaderEpoch: Int32 = 0, replicas: [Int32], isr: [Int32],
        offlineReplicas: [Int32] = [], highWatermark: Int64? = nil, logStartOffset: Int64? = nil, size: Int64? = nil,
        throughput: Throughput = Throughput()
    ) {
        self.topic = topic
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offlineReplicas = offlineReplicas
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.size = size
        self.throughput = throughput
    }

    public var key: TopicPartition { TopicPartition(topic, partition) }
    public var isOffline: Bool { leader < 0 }
    public var isUnderReplicated: Bool { !isOffline && isr.count < replicas.count }
    /// Messages currently retained (high watermark minus log start), when both are known.
    public var messageCount: Int64? {
        guard let hw = highWatermark, let start = logStartOffset else { return nil }
        return max(0, hw - start)
    }
}

public struct GroupSnapshot: Equatable, Sendable {
    public var id: String
    public var state: String
    /// "classic", "consumer" (KIP-848), or "" when the cluster does not say.
    public var type: String
    public var protocolType: String
    public var assignor: String
    public var members: [ObservedMember]
    /// One row per partition the group committed on or is assigned, sorted.
    public var offsets: [GroupPartitionOffset]
    /// Sum of the partition lags; nil when no partition has a known lag.
    public var totalLag: Int64?
    public var lagTrend: RateSeries
    /// Committed messages per second (the group's consumption rate), over the last
    /// ``CommitHistory/window`` seconds.
    public var messagesPerSecond: Double
    /// The committed offsets of recent polls, for the consumption rate.
    public var commitHistory: CommitHistory
    /// Why the last poll could not describe the group, if so: members, offsets and lag are then
    /// the ones of an earlier poll.
    public var stale: String?
    /// Committed offsets this poll found moved by something other than the group's consumers (a
    /// reset: backwards, or forwards while the group has no member), by how much.
    public var offsetResets: [TopicPartition: Int64]

    public init(
        id: String, state: String, type: String = "classic", protocolType: String = "consumer", assignor: String = "",
        members: [ObservedMember] = [], offsets: [GroupPartitionOffset] = [], totalLag: Int64? = nil,
        lagTrend: RateSeries = RateSeries(), messagesPerSecond: Double = 0, commitHistory: CommitHistory = CommitHistory(),
        stale: String? = nil, offsetResets: [TopicPartition: Int64] = [:]
    ) {
        self.type = type
        self.offsetResets = offsetResets
        self.commitHistory = commitHistory
        self.stale = stale
        self.id = id
        self.state = state
        self.protocolType = protocolType
        self.assignor = assignor
        self.members = members
        self.offsets = offsets
        self.totalLag = totalLag
        self.lagTrend = lagTrend
        self.messagesPerSecond = messagesPerSecond
    }

    /// The `stale` reason while the group's coordinator loads its groups (after a broker start).
    public static let coordinatorLoading = "the group coordinator is loading its groups"
    /// The `stale` reason of a group the last listing missed (gone if the next misses it too).
    public static let notListed = "not listed by the last poll"

    /// Topics the group has offsets on or is assigned.
    public var topics: [String] { Array(Set(offsets.map(\.key.topic))).sorted() }

    /// A rebalance under way: a classic group's join or sync phase, a consumer group computing
    /// its target or moving partitions towards it.
    public var isRebalancing: Bool {
        state.contains("Rebalance") || state == "Assigning" || state == "Reconciling"
    }

    /// Partitions their holder is giving up, and partitions waiting for their new holder
    /// (consumer groups, during a rebalance).
    public var revoking: [TopicPartition] { offsets.filter { $0.move == .revoking }.map(\.key) }
    public var assigning: [TopicPartition] { offsets.filter { $0.move == .assigning }.map(\.key) }
}

public struct GroupPartitionOffset: Equatable, Sendable {
    /// How a partition moves in a consumer group's rebalance (KIP-848).
    public enum Move: Equatable, Sendable {
        /// Its holder (`owner`) is giving it up; `target` takes it next.
        case revoking
        /// Nobody holds it; `target` gets it on its next heartbeat.
        case assigning
    }

    public var key: TopicPartition
    /// nil when the group never committed on this partition.
    public var committed: Int64?
    /// The partition's high watermark; nil when unknown.
    public var end: Int64?
    /// The member the partition is assigned to, if any (its client id).
    public var owner: String?
    /// Consumer groups: the member the target assignment gives the partition to (its client id).
    public var target: String?
    /// Consumer groups: whether the partition is moving, and how.
    public var move: Move?

    public init(key: TopicPartition, committed: Int64?, end: Int64?, owner: String? = nil, target: String? = nil,
                move: Move? = nil) {
        self.key = key
        self.committed = committed
        self.end = end
        self.owner = owner
        self.target = target
        self.move = move
    }

    /// end − committed, when both are known.
    public var lag: Int64? {
        guard let c = committed, let e = end else { return nil }
        return max(0, e - c)
    }
}
