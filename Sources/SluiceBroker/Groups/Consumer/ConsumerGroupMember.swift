import KafkaProtocol

/// Where a member's reconciliation towards its target assignment stands (Kafka's `MemberState`,
/// with its record values).
public enum ConsumerMemberState: Int8, Sendable, Hashable {
    /// The member owns exactly what its epoch gives it.
    case stable = 0
    /// The member must give up `partitionsPendingRevocation` before it moves to a new epoch.
    case unrevokedPartitions = 1
    /// Partitions of its target are still owned by other members; it gets them once released.
    case unreleasedPartitions = 2

    public var name: String {
        switch self {
        case .stable: return "STABLE"
        case .unrevokedPartitions: return "UNREVOKED_PARTITIONS"
        case .unreleasedPartitions: return "UNRELEASED_PARTITIONS"
        }
    }
}

/// A member of a consumer group (KIP-848): its subscription and client (persisted as its member
/// metadata record), its epochs and partitions (its current assignment record), and its timers.
struct ConsumerGroupMember: Sendable, Equatable {
    var memberId: String
    var instanceId: String?
    var rackId: String?
    var clientId: String = ""
    var clientHost: String = ""
    var subscribedTopicNames: [String] = []
    /// nil when the member subscribes by name only.
    var subscribedTopicRegex: String?
    var rebalanceTimeoutMs: Int32 = -1
    /// The server-side assignor the member asks for (`group.remote.assignor`), if any.
    var serverAssignor: String?

    /// 0 until its first assignment; -2 for a static member that left and may come back.
    var memberEpoch: Int32 = 0
    /// The epoch before the last bump: a member whose answer with the new epoch was lost may
    /// still heartbeat with this one.
    var previousMemberEpoch: Int32 = 0
    var state: ConsumerMemberState = .stable
    /// The partitions the member holds at `memberEpoch` (newly assigned ones included as soon as
    /// they are free).
    var assignedPartitions = TopicPartitionSet()
    /// Partitions it still holds but must give up first.
    var partitionsPendingRevocation = TopicPartitionSet()

    /// Not persisted: removed unless it heartbeats by then.
    var sessionDeadline: Int64 = 0
    /// Not persisted: when the session timer the runtime holds fires; nil when none.
    var sessionTimerAt: Int64?
    /// Not persisted: while revoking, the member is removed if it has not finished by then.
    var revocationDeadline: Int64?

    init(memberId: String, instanceId: String? = nil) {
        self.memberId = memberId
        self.instanceId = instanceId
    }

    /// What the member holds right now (its assignment and what it has not revoked yet).
    var ownedPartitions: TopicPartitionSet { assignedPartitions.union(partitionsPendingRevocation) }

    func isReconciled(to targetEpoch: Int32) -> Bool {
        state == .stable && memberEpoch == targetEpoch
    }

    /// The fields of its member metadata record.
    var metadataValue: ConsumerGroupMemberMetadataValue {
        ConsumerGroupMemberMetadataValue(
            instanceId: instanceId, rackId: rackId, clientId: clientId, clientHost: clientHost,
            subscribedTopicNames: subscribedTopicNames, subscribedTopicRegex: subscribedTopicRegex,
            rebalanceTimeoutMs: rebalanceTimeoutMs, serverAssignor: serverAssignor)
    }

    /// The fields of its current assignment record.
    var assignmentValue: ConsumerGroupCurrentMemberAssignmentValue {
        ConsumerGroupCurrentMemberAssignmentValue(
            memberEpoch: memberEpoch, previousMemberEpoch: previousMemberEpoch, state: state.rawValue,
            assignedPartitions: assignedPartitions, partitionsPendingRevocation: partitionsPendingRevocation)
    }

    mutating func apply(_ value: ConsumerGroupMemberMetadataValue) {
        instanceId = value.instanceId
        rackId = value.rackId
        clientId = value.clientId
        clientHost = value.clientHost
        subscribedTopicNames = value.subscribedTopicNames
        subscribedTopicRegex = value.subscribedTopicRegex
        rebalanceTimeoutMs = value.rebalanceTimeoutMs
        serverAssignor = value.serverAssignor
    }

    mutating func apply(_ value: ConsumerGroupCurrentMemberAssignmentValue) {
        memberEpoch = value.memberEpoch
        previousMemberEpoch = value.previousMemberEpoch
        // A state this version does not know: start the reconciliation over from what it holds.
        state = ConsumerMemberState(rawValue: value.state) ?? .unreleasedPartitions
        assignedPartitions = value.assignedPartitions
        partitionsPendingRevocation = value.partitionsPendingRevocation
    }

    /// Whether two versions of the member differ in what its metadata record holds.
    func metadataDiffers(from other: ConsumerGroupMember) -> Bool {
        metadataValue != other.metadataValue
    }

    /// Whether two versions of the member differ in what its current assignment record holds.
    func assignmentDiffers(from other: ConsumerGroupMember) -> Bool {
        assignmentValue != other.assignmentValue
    }
}
