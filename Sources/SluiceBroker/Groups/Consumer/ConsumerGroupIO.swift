import KafkaProtocol

/// A ConsumerGroupHeartbeat request, independent of its wire version. Optional fields are nil
/// when the member did not send them (they did not change since its last heartbeat).
public struct ConsumerGroupHeartbeatInput: Sendable, Equatable {
    public var groupId: String
    public var memberId: String
    /// 0 to join, -1 to leave, -2 for a static member leaving for a while; otherwise its epoch.
    public var memberEpoch: Int32
    public var instanceId: String?
    public var rackId: String?
    /// -1 when unchanged.
    public var rebalanceTimeoutMs: Int32
    public var subscribedTopicNames: [String]?
    public var subscribedTopicRegex: String?
    public var serverAssignor: String?
    /// The partitions the member owns, when it says.
    public var ownedPartitions: TopicPartitionSet?
    public var clientId: String
    public var clientHost: String

    public init(groupId: String, memberId: String, memberEpoch: Int32, instanceId: String? = nil,
                rackId: String? = nil, rebalanceTimeoutMs: Int32 = -1, subscribedTopicNames: [String]? = nil,
                subscribedTopicRegex: String? = nil, serverAssignor: String? = nil,
                ownedPartitions: TopicPartitionSet? = nil, clientId: String = "", clientHost: String = "") {
        self.groupId = groupId
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.instanceId = instanceId
        self.rackId = rackId
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.subscribedTopicNames = subscribedTopicNames
        self.subscribedTopicRegex = subscribedTopicRegex
        self.serverAssignor = serverAssignor
        self.ownedPartitions = ownedPartitions
        self.clientId = clientId
        self.clientHost = clientHost
    }

    /// The member epoch that means "leave".
    public static let leaveEpoch: Int32 = -1
    /// The member epoch that means "a static member leaves and will come back".
    public static let staticLeaveEpoch: Int32 = -2

    /// A request carrying everything (a join, or a member recovering from an error): it gets its
    /// whole assignment back.
    var isFullRequest: Bool {
        memberEpoch == 0 || (rebalanceTimeoutMs != -1 && subscribedTopicNames != nil && ownedPartitions != nil)
    }
}

/// The answer to a ConsumerGroupHeartbeat.
public struct ConsumerGroupHeartbeatResult: Hashable, Sendable {
    public var error: ErrorCode
    public var errorMessage: String?
    public var memberId: String?
    public var memberEpoch: Int32
    public var heartbeatIntervalMs: Int32
    /// The partitions the member may use now, when they changed or the request was a full one.
    public var assignment: TopicPartitionSet?

    public init(error: ErrorCode = .noError, errorMessage: String? = nil, memberId: String? = nil,
                memberEpoch: Int32 = 0, heartbeatIntervalMs: Int32 = 0, assignment: TopicPartitionSet? = nil) {
        self.error = error
        self.errorMessage = errorMessage
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.assignment = assignment
    }

    static func failure(_ error: ErrorCode, _ message: String? = nil) -> ConsumerGroupHeartbeatResult {
        ConsumerGroupHeartbeatResult(error: error, errorMessage: message)
    }
}

/// A consumer group member as ConsumerGroupDescribe shows it.
public struct ConsumerMemberDescription: Hashable, Sendable {
    public var memberId: String
    public var instanceId: String?
    public var rackId: String?
    public var memberEpoch: Int32
    public var clientId: String
    public var clientHost: String
    public var subscribedTopicNames: [String]
    public var subscribedTopicRegex: String?
    /// What the member holds now: its assignment and the partitions it is still revoking (Kafka
    /// shows only the former; Sluice shows both, so that current vs target tells what moves).
    public var assignment: TopicPartitionSet
    public var targetAssignment: TopicPartitionSet
    public var state: ConsumerMemberState
}

/// The answer to ConsumerGroupDescribe for one group.
public struct ConsumerGroupDescription: Hashable, Sendable {
    public var groupId: String
    public var error: ErrorCode
    public var errorMessage: String?
    public var state: String
    public var groupEpoch: Int32
    public var assignmentEpoch: Int32
    public var assignorName: String
    public var members: [ConsumerMemberDescription]

    static func failure(_ groupId: String, _ error: ErrorCode, _ message: String? = nil) -> ConsumerGroupDescription {
        ConsumerGroupDescription(groupId: groupId, error: error, errorMessage: message, state: "", groupEpoch: 0,
                                 assignmentEpoch: 0, assignorName: "", members: [])
    }
}
