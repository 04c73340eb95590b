import KafkaProtocol

/// Something that happens to the group coordinator: a request, a timer firing, a write to
/// `__consumer_offsets` finishing, a change of partition leadership, a partition's log replayed.
public enum GroupCoordinatorEvent: Sendable, Equatable {
    case join(RequestID, JoinGroupInput)
    case sync(RequestID, SyncGroupInput)
    case heartbeat(RequestID, HeartbeatInput)
    case leave(RequestID, LeaveGroupInput)
    case commit(RequestID, OffsetCommitInput)
    case deleteGroup(RequestID, groupId: String)
    case deleteOffsets(RequestID, OffsetDeleteInput)
    /// ConsumerGroupHeartbeat (KIP-848): join, heartbeat or leave a consumer group.
    case consumerHeartbeat(RequestID, ConsumerGroupHeartbeatInput)
    /// The cluster's topics changed (consumer groups resolve their subscriptions against them).
    case topicsChanged(ConsumerTopics)
    /// TxnOffsetCommit: offsets written as part of a producer's transaction, pending until its
    /// marker.
    case txnCommit(RequestID, TxnOffsetCommitInput)
    /// A marker of `producerId`'s transaction was written to offsets partition `partition`: its
    /// pending offsets there become committed (`commit`) or are dropped.
    case transactionCompleted(partition: Int32, producerId: Int64, commit: Bool)
    /// The transactional offset commits of the partition's log whose transactions were still
    /// open when it was read (sent right after ``loaded(partition:_:_:)``), by producer id.
    case transactionalOffsetsLoaded(partition: Int32, LoadID, [Int64: [CoordinatorRecord]])

    /// A timer the coordinator scheduled (``GroupCoordinatorAction/schedule(_:at:)``) fired.
    case timerFired(CoordinatorTimer)
    /// An ``GroupCoordinatorAction/append(partition:_:_:timestamp:)`` finished; `.noError` when
    /// the records are in the log.
    case appendCompleted(partition: Int32, AppendID, ErrorCode)

    /// This broker now leads the offsets partition: its groups must be loaded from the log.
    case becameLeader(partition: Int32)
    /// This broker no longer leads the offsets partition: its groups are dropped.
    case resigned(partition: Int32)
    /// The records of the partition's log, in order, for a ``GroupCoordinatorAction/load(partition:_:)``.
    case loaded(partition: Int32, LoadID, [CoordinatorRecord])
    /// Reading the partition's log failed.
    case loadFailed(partition: Int32, LoadID)
}

/// What the coordinator asks its runtime to do.
public enum GroupCoordinatorAction: Sendable, Equatable {
    /// Answer a waiting request.
    case respond(RequestID, GroupResponse)
    /// Fire `timer` at `at` (ms, the clock `now` comes from), replacing any earlier schedule of
    /// the same timer. A timer firing late or after it stopped mattering is harmless.
    case schedule(CoordinatorTimer, at: Int64)
    /// Append these records to `__consumer_offsets` partition `partition` as one batch, in the
    /// order the appends were asked for, then report ``GroupCoordinatorEvent/appendCompleted(partition:_:_:)``.
    case append(partition: Int32, AppendID, [CoordinatorRecord], timestamp: Int64)
    /// The same for a transactional offset commit: one transactional batch with the producer's
    /// id and epoch, so that the transaction's marker ends it in the log too.
    case appendTransactional(partition: Int32, AppendID, [CoordinatorRecord], producerId: Int64, producerEpoch: Int16,
                             timestamp: Int64)
    /// Read partition `partition`'s log and report ``GroupCoordinatorEvent/loaded(partition:_:_:)``.
    case load(partition: Int32, LoadID)
    /// Forget every timer of the partition (its groups are gone).
    case cancelTimers(partition: Int32)
}

/// The timers of one offsets partition's groups.
public enum GroupTimer: Hashable, Sendable {
    /// A member's session: removed unless it heartbeats.
    case session(group: String, member: String)
    /// A member told MEMBER_ID_REQUIRED must send its second JoinGroup within its session timeout.
    case pendingMember(group: String, member: String)
    /// The join phase of a rebalance ends (initial delay or rebalance timeout).
    case join(group: String)
    /// Members of a new generation must send SyncGroup within the rebalance timeout.
    case sync(group: String)
    /// Periodic expiry of old offsets (`offsets.retention.check.interval.ms`).
    case offsetExpiration
    /// A consumer group member's session (`group.consumer.session.timeout.ms`).
    case consumerSession(group: String, member: String)
    /// A consumer group member revoking partitions must be done within its rebalance timeout.
    case consumerRevocation(group: String, member: String)
}

public struct CoordinatorTimer: Hashable, Sendable {
    public var partition: Int32
    public var timer: GroupTimer

    public init(partition: Int32, _ timer: GroupTimer) {
        self.partition = partition
        self.timer = timer
    }
}

/// Identifies one append; `shard` tells appends of an earlier leadership of the partition apart.
public struct AppendID: Hashable, Sendable {
    public var shard: UInt64
    public var sequence: UInt64
}

/// Identifies one load of a partition (a later leadership loads again under a new id).
public struct LoadID: Hashable, Sendable {
    public var value: UInt64
}
