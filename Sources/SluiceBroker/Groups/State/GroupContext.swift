import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// What a group operation needs besides the group: the time, the config, and where its effects go.
struct GroupContext {
    let now: Int64
    let config: GroupCoordinatorConfig
    let partition: Int32
    var actions: [GroupCoordinatorAction] = []
    var appends: [(records: [CoordinatorRecord], purpose: PendingAppend)] = []
    var transactionalAppends: [(records: [CoordinatorRecord], purpose: PendingAppend, producerId: Int64,
                                producerEpoch: Int16)] = []

    mutating func respond(_ request: RequestID, _ response: GroupResponse) {
        actions.append(.respond(request, response))
    }

    mutating func schedule(_ timer: GroupTimer, at deadline: Int64) {
        actions.append(.schedule(CoordinatorTimer(partition: partition, timer), at: deadline))
    }

    mutating func append(_ records: [CoordinatorRecord], for purpose: PendingAppend) {
        appends.append((records, purpose))
    }
}

/// Why an append was made: what to do once it is in the log (or failed).
enum PendingAppend: Sendable {
    /// Offsets to apply and the request to answer; `errors` holds partitions refused up front.
    case commit(request: RequestID, group: String, incarnation: UInt64, offsets: [TopicPartition: OffsetCommitValue],
                errors: [TopicPartition: ErrorCode])
    /// The leader's assignment for a generation: the group becomes stable once it is written.
    case assignment(group: String, incarnation: UInt64, generation: Int32, assignments: [String: ByteBuffer])
    /// A static member's new member id, written while the group stays stable; its JoinGroup waits.
    case staticRejoin(group: String, incarnation: UInt64, generation: Int32, memberId: String, request: RequestID,
                      previousLeader: String?)
    /// State written for durability only (an emptied group).
    case groupMetadata
    case deleteGroup(request: RequestID)
    case deleteOffsets(request: RequestID, group: String, incarnation: UInt64, partitions: [TopicPartition],
                       result: OffsetDeleteResult)
    /// Expired offsets, removed once the tombstones are written.
    case expiration([String: (incarnation: UInt64, partitions: [TopicPartition])])
    /// A consumer group's records from a ConsumerGroupHeartbeat, answered once written.
    case consumerHeartbeat(request: RequestID, group: String, incarnation: UInt64, result: ConsumerGroupHeartbeatResult)
    /// A consumer group's records from a timer (a member removed).
    case consumerGroupWrite(group: String, incarnation: UInt64)
    /// A transactional offset commit: pending for the producer's transaction once written.
    case txnCommit(request: RequestID, producerId: Int64, group: String, offsets: [TopicPartition: OffsetCommitValue],
                   errors: [TopicPartition: ErrorCode])
}

extension ErrorCode {
    /// Kafka's translation of a failed offset commit write into the commit's error.
    var forOffsetCommit: ErrorCode {
        switch self {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend: return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: return .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: return .invalidCommitOffsetSize
        default: return self
        }
    }

    /// Kafka's translation of a failed write of a consumer group's records into the
    /// ConsumerGroupHeartbeat error (retriable coordinator errors make the member try again).
    var forConsumerGroupWrite: ErrorCode {
        switch self {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut:
            return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: return .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: return .unknownServerError
        default: return self
        }
    }

    /// Kafka's translation of a failed group metadata write into the JoinGroup/SyncGroup error.
    var forGroupMetadataWrite: ErrorCode {
        switch self {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend: return .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: return .notCoordinator
        case .requestTimedOut: return .rebalanceInProgress
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: return .unknownServerError
        default: return self
        }
    }
}
