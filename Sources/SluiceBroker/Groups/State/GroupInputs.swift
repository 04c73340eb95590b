import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// Identifies a request awaiting its answer from the coordinator; chosen by the runtime.
public typealias RequestID = UInt64

/// One protocol a member supports (e.g. `range` with its subscription), metadata opaque.
public struct GroupProtocol: Hashable, Sendable {
    public var name: String
    public var metadata: ByteBuffer

    public init(name: String, metadata: ByteBuffer) {
        self.name = name
        self.metadata = metadata
    }
}

/// A JoinGroup request, independent of its wire version.
public struct JoinGroupInput: Sendable, Equatable {
    public var groupId: String
    /// Empty for a member joining for the first time.
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    /// The session timeout for JoinGroup v0, which has no rebalance timeout.
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupProtocol]
    /// JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED and its id.
    public var requireKnownMemberId: Bool
    /// JoinGroup v9+: a static leader rejoining a stable group is told to skip the assignment.
    public var supportsSkipAssignment: Bool
    /// A fresh unique string (a UUID) the coordinator uses if it must create a member id.
    public var memberIdSuffix: String

    public init(groupId: String, memberId: String = "", groupInstanceId: String? = nil, clientId: String,
                clientHost: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String,
                protocols: [GroupProtocol], requireKnownMemberId: Bool, supportsSkipAssignment: Bool = false,
                memberIdSuffix: String) {
        self.groupId = groupId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberId = requireKnownMemberId
        self.supportsSkipAssignment = supportsSkipAssignment
        self.memberIdSuffix = memberIdSuffix
    }
}

/// A SyncGroup request.
public struct SyncGroupInput: Sendable, Equatable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    /// SyncGroup v5+; nil when not sent.
    public var protocolType: String?
    public var protocolName: String?
    /// The leader's assignment per member id (empty from followers).
    public var assignments: [String: ByteBuffer]

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil,
                protocolType: String? = nil, protocolName: String? = nil, assignments: [String: ByteBuffer] = [:]) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }
}

/// A Heartbeat request.
public struct HeartbeatInput: Sendable, Equatable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }
}

/// A member leaving: by member id, or (admin removal) by instance id with an empty member id.
public struct LeavingMember: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?

    public init(memberId: String, groupInstanceId: String? = nil) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }
}

/// A LeaveGroup request (one member before v3, a batch since).
public struct LeaveGroupInput: Sendable, Equatable {
    public var groupId: String
    public var members: [LeavingMember]

    public init(groupId: String, members: [LeavingMember]) {
        self.groupId = groupId
        self.members = members
    }
}

/// One partition's offset in an OffsetCommit request.
public struct OffsetCommitEntry: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var offset: Int64
    public var leaderEpoch: Int32
    /// Null metadata is stored as "".
    public var metadata: String?
    /// OffsetCommit v1's client-chosen commit time; nil for "now".
    public var commitTimestamp: Int64?

    public init(_ topicPartition: TopicPartition, offset: Int64, leaderEpoch: Int32 = -1, metadata: String? = "",
                commitTimestamp: Int64? = nil) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }
}

/// An OffsetCommit request.
public struct OffsetCommitInput: Sendable, Equatable {
    public var groupId: String
    /// -1 for commits from outside group management.
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    /// OffsetCommit v2–v4's retention time; nil for the broker's retention.
    public var retentionTimeMs: Int64?
    public var offsets: [OffsetCommitEntry]
    /// The request's version: members of consumer groups (KIP-848) must commit with v9+, where
    /// `generationId` is their member epoch.
    public var apiVersion: Int16

    public init(groupId: String, generationId: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil,
                retentionTimeMs: Int64? = nil, offsets: [OffsetCommitEntry], apiVersion: Int16 = 9) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
        self.offsets = offsets
        self.apiVersion = apiVersion
    }
}

/// A TxnOffsetCommit request: offsets committed as part of a producer's transaction.
public struct TxnOffsetCommitInput: Sendable, Equatable {
    public var groupId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    /// v3+: the member committing (-1 and "" from older clients: not checked).
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var offsets: [OffsetCommitEntry]

    public init(groupId: String, producerId: Int64, producerEpoch: Int16, generationId: Int32 = -1, memberId: String = "",
                groupInstanceId: String? = nil, offsets: [OffsetCommitEntry]) {
        self.groupId = groupId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.offsets = offsets
    }
}

/// An OffsetDelete request.
public struct OffsetDeleteInput: Sendable, Equatable {
    public var groupId: String
    public var partitions: [TopicPartition]

    public init(groupId: String, partitions: [TopicPartition]) {
        self.groupId = groupId
        self.partitions = partitions
    }
}
