import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// A member as the leader sees it in its JoinGroup response.
public struct JoinGroupMemberInfo: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    /// The member's metadata for the selected protocol, unchanged.
    public var metadata: ByteBuffer

    public init(memberId: String, groupInstanceId: String?, metadata: ByteBuffer) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.metadata = metadata
    }
}

/// The answer to a JoinGroup.
public struct JoinGroupResult: Hashable, Sendable {
    public var error: ErrorCode
    public var generationId: Int32
    public var protocolType: String?
    public var protocolName: String?
    public var leaderId: String
    public var skipAssignment: Bool
    public var memberId: String
    /// Every member, for the leader only.
    public var members: [JoinGroupMemberInfo]

    public init(error: ErrorCode, generationId: Int32, protocolType: String?, protocolName: String?, leaderId: String,
                skipAssignment: Bool = false, memberId: String, members: [JoinGroupMemberInfo] = []) {
        self.error = error
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leaderId = leaderId
        self.skipAssignment = skipAssignment
        self.memberId = memberId
        self.members = members
    }

    /// A failed join: no generation, protocol or leader.
    public static func failure(_ error: ErrorCode, memberId: String) -> JoinGroupResult {
        JoinGroupResult(error: error, generationId: -1, protocolType: nil, protocolName: nil, leaderId: "",
                        memberId: memberId)
    }
}

/// The answer to a SyncGroup.
public struct SyncGroupResult: Hashable, Sendable {
    public var error: ErrorCode
    public var protocolType: String?
    public var protocolName: String?
    /// The member's assignment, unchanged from the leader's SyncGroup.
    public var assignment: ByteBuffer

    public init(error: ErrorCode, protocolType: String? = nil, protocolName: String? = nil,
                assignment: ByteBuffer = ByteBuffer()) {
        self.error = error
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }
}

/// The answer to a LeaveGroup: a group-level error, and one error per member asked for.
public struct LeaveGroupResult: Hashable, Sendable {
    public var error: ErrorCode
    public var members: [LeaveMemberResult]

    public init(error: ErrorCode, members: [LeaveMemberResult]) {
        self.error = error
        self.members = members
    }
}

public struct LeaveMemberResult: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var error: ErrorCode

    public init(memberId: String, groupInstanceId: String?, error: ErrorCode) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.error = error
    }
}

/// A per-partition error list, in the request's order.
public struct PartitionErrors: Hashable, Sendable {
    public var errors: [TopicPartition: ErrorCode]

    public init(_ errors: [TopicPartition: ErrorCode]) {
        self.errors = errors
    }

    public subscript(_ tp: TopicPartition) -> ErrorCode? { errors[tp] }
}

/// The answer to an OffsetDelete: a group-level error or one error per partition.
public struct OffsetDeleteResult: Hashable, Sendable {
    public var error: ErrorCode
    public var partitions: [TopicPartition: ErrorCode]

    public init(error: ErrorCode, partitions: [TopicPartition: ErrorCode] = [:]) {
        self.error = error
        self.partitions = partitions
    }
}

/// What the coordinator answers to a request that waited for it.
public enum GroupResponse: Hashable, Sendable {
    case join(JoinGroupResult)
    case sync(SyncGroupResult)
    case heartbeat(ErrorCode)
    case leave(LeaveGroupResult)
    case commit(PartitionErrors)
    case deleteGroup(ErrorCode)
    case deleteOffsets(OffsetDeleteResult)
    case consumerHeartbeat(ConsumerGroupHeartbeatResult)
}

/// A committed offset as OffsetFetch returns it.
public struct CommittedOffset: Hashable, Sendable {
    public var offset: Int64
    public var leaderEpoch: Int32
    public var metadata: String

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "") {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }

    /// What OffsetFetch returns for a partition without a committed offset.
    public static let none = CommittedOffset(offset: -1, leaderEpoch: -1, metadata: "")
}

/// The answer to an OffsetFetch for one group.
public struct OffsetFetchResult: Hashable, Sendable {
    public var error: ErrorCode
    /// In the order asked for; every committed offset (sorted) when all were asked for.
    public var offsets: [(TopicPartition, CommittedOffset)]

    public init(error: ErrorCode, offsets: [(TopicPartition, CommittedOffset)] = []) {
        self.error = error
        self.offsets = offsets
    }

    public static func == (lhs: OffsetFetchResult, rhs: OffsetFetchResult) -> Bool {
        lhs.error == rhs.error && lhs.offsets.elementsEqual(rhs.offsets, by: { $0.0 == $1.0 && $0.1 == $1.1 })
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(error)
        for (tp, o) in offsets {
            hasher.combine(tp)
            hasher.combine(o)
        }
    }

    public subscript(_ tp: TopicPartition) -> CommittedOffset? {
        offsets.first(where: { $0.0 == tp })?.1
    }
}

/// A member as DescribeGroups shows it.
public struct DescribedMember: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    /// The metadata for the selected protocol; empty unless the group is stable (as in Kafka).
    public var metadata: ByteBuffer
    /// The assignment; empty unless the group is stable.
    public var assignment: ByteBuffer
}

/// The answer to DescribeGroups for one group.
public struct GroupDescription: Hashable, Sendable {
    public var groupId: String
    public var error: ErrorCode
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable` or `Dead` (unknown groups).
    public var state: String
    public var protocolType: String
    /// The selected protocol when stable, else "".
    public var protocolName: String
    public var members: [DescribedMember]
}

/// One group in ListGroups.
public struct GroupListing: Hashable, Sendable {
    public var groupId: String
    public var protocolType: String
    public var state: String
    /// `classic` or `consumer` (KIP-848).
    public var type: String
}
