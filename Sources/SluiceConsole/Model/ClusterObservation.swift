import SluiceBase

/// What one poll of the cluster returned, exactly as the Kafka protocol said it, before any rate
/// is derived. The poller produces these; `SnapshotBuilder` turns a series of them into snapshots.
public struct ClusterObservation: Sendable, Equatable {
    /// Wall-clock time of the poll, in seconds since 1970 (for display).
    public var takenAt: Double
    /// Monotonic time of the poll, in seconds (for rates).
    public var monotonic: Double
    public var clusterID: String?
    public var controllerID: Int32?
    /// Brokers the cluster metadata lists (the live, unfenced ones).
    public var brokers: [ObservedBroker]
    /// The result of asking each known broker directly (by id), including ones the metadata no
    /// longer lists: this tells a dead broker from a fenced one, and gives the round-trip time.
    public var probes: [Int32: BrokerProbe]
    public var topics: [ObservedTopic]
    /// Partition sizes on disk per broker, from DescribeLogDirs (absent when the broker did not answer).
    public var logDirs: [Int32: [TopicPartition: Int64]]
    public var groups: [ObservedGroup]
    /// Requests that failed or timed out during this poll, in words.
    public var errors: [String]
    /// Why groups cannot be listed at all (the cluster does not support ListGroups), if so.
    public var groupsError: String?
    /// Why this poll could not list the groups (a passing failure, such as a group coordinator
    /// still loading its groups): `groups` is empty, and the snapshot keeps the groups it knew.
    public var groupsUnlisted: String?
    /// What DescribeQuorum said about the metadata quorum (nil: the cluster does not answer it).
    public var quorum: ObservedQuorum?
    /// Each broker's produce and fetch time histograms, from its `/metrics` (embedded clusters;
    /// absent for a broker that did not answer, or a cluster without endpoints).
    public var serverLatency: [Int32: ServerLatencyHistograms] = [:]
    /// What the console's principal may do on the cluster (DescribeCluster's bit field; nil:
    /// not reported). With an authorizer, topics and groups it may not describe are left out
    /// of Metadata and ListGroups without an error: this is how the views can say so.
    public var clusterAuthorizedOperations: Int32?

    public init(
        takenAt: Double, monotonic: Double, clusterID: String? = nil, controllerID: Int32? = nil,
        brokers: [ObservedBroker] = [], probes: [Int32: BrokerProbe] = [:], topics: [ObservedTopic] = [],
        logDirs: [Int32: [TopicPartition: Int64]] = [:], groups: [ObservedGroup] = [], errors: [String] = [],
        groupsError: String? = nil, groupsUnlisted: String? = nil, quorum: ObservedQuorum? = nil
    ) {
        self.quorum = quorum
        self.groupsError = groupsError
        self.groupsUnlisted = groupsUnlisted
        self.takenAt = takenAt
        self.monotonic = monotonic
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.brokers = brokers
        self.probes = probes
        self.topics = topics
        self.logDirs = logDirs
        self.groups = groups
        self.errors = errors
    }
}

public struct ObservedBroker: Sendable, Equatable {
    public var id: Int32
    public var host: String
    public var port: Int32
    public var rack: String?

    public init(id: Int32, host: String, port: Int32, rack: String? = nil) {
        self.id = id
        self.host = host
        self.port = port
        self.rack = rack
    }

    public var address: String { "\(host):\(port)" }
}

/// How a broker answered a direct request.
public enum BrokerProbe: Sendable, Equatable {
    /// It answered after `rtt` seconds.
    case answered(rtt: Double)
    /// It did not answer within the request timeout.
    case timedOut
    /// The connection failed (refused, reset, unreachable).
    case failed(String)

    public var isAnswered: Bool { if case .answered = self { true } else { false } }
}

public struct ObservedTopic: Sendable, Equatable {
    public var name: String
    public var isInternal: Bool
    public var partitions: [ObservedPartition]
    /// The topic-level error the metadata returned, if any (e.g. LEADER_NOT_AVAILABLE while creating).
    public var error: String?

    public init(name: String, isInternal: Bool = false, partitions: [ObservedPartition], error: String? = nil) {
        self.name = name
        self.isInternal = isInternal
        self.partitions = partitions
        self.error = error
    }
}

public struct ObservedPartition: Sendable, Equatable {
    public var partition: Int32
    /// -1 when the partition has no leader (offline).
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var offlineReplicas: [Int32]
    /// From ListOffsets (latest); nil when the leader did not answer.
    public var highWatermark: Int64?
    /// From ListOffsets (earliest).
    public var logStartOffset: Int64?

    public init(
        partition: Int32, leader: Int32, leaderEpoch: Int32 = 0, replicas: [Int32], isr: [Int32],
        offlineReplicas: [Int32] = [], highWatermark: Int64? = nil, logStartOffset: Int64? = nil
    ) {
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offlineReplicas = offlineReplicas
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
    }
}

public struct ObservedGroup: Sendable, Equatable {
    public var id: String
    /// Kafka's group state name: "Stable", "PreparingRebalance", "CompletingRebalance", "Empty",
    /// "Dead"; for consumer groups (KIP-848) "Assigning" and "Reconciling" while partitions move.
    public var state: String
    /// The group protocol: "classic", "consumer" (KIP-848), or "" when the cluster does not say.
    public var type: String
    /// Consumer groups only: the group epoch and the target assignment's epoch.
    public var groupEpoch: Int32?
    public var assignmentEpoch: Int32?
    public var protocolType: String
    /// The chosen assignment strategy (e.g. "range", "roundrobin", "cooperative-sticky").
    public var assignor: String
    public var members: [ObservedMember]
    /// Committed offsets from OffsetFetch (partitions without a commit are absent).
    public var committed: [TopicPartition: Int64]
    /// Why this poll could not describe the group or fetch its offsets, if so: then only `id`,
    /// `state` and `protocolType` (from ListGroups) are known, and the snapshot keeps the rest
    /// from the poll before.
    public var unanswered: String?

    public init(
        id: String, state: String, type: String = "classic", protocolType: String = "consumer", assignor: String = "",
        members: [ObservedMember] = [], committed: [TopicPartition: Int64] = [:], unanswered: String? = nil,
        groupEpoch: Int32? = nil, assignmentEpoch: Int32? = nil
    ) {
        self.unanswered = unanswered
        self.id = id
        self.state = state
        self.type = type
        self.groupEpoch = groupEpoch
        self.assignmentEpoch = assignmentEpoch
        self.protocolType = protocolType
        self.assignor = assignor
        self.members = members
        self.committed = committed
    }
}

public struct ObservedMember: Sendable, Equatable {
    public var memberID: String
    public var clientID: String
    public var host: String
    /// Partitions assigned to this member (decoded from the consumer protocol's assignment, when it
    /// is one; for a consumer group, what it holds now, partitions it is giving up included).
    public var assignment: [TopicPartition]
    /// Consumer groups only: the member's epoch and the partitions its target gives it. While
    /// target and assignment differ, partitions are moving.
    public var memberEpoch: Int32?
    public var target: [TopicPartition]?

    public init(memberID: String, clientID: String, host: String, assignment: [TopicPartition] = [],
                memberEpoch: Int32? = nil, target: [TopicPartition]? = nil) {
        self.memberID = memberID
        self.clientID = clientID
        self.host = host
        self.assignment = assignment
        self.memberEpoch = memberEpoch
        self.target = target
    }
}
