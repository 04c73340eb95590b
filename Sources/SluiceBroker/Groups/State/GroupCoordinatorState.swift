import KafkaProtocol
import SluiceBase
import SluiceStorage

/// The group coordinator of one broker as a pure state machine: events in, actions out
/// (``handle(_:now:)``), time as an input, timers as actions. It owns one shard per
/// `__consumer_offsets` partition this broker leads; a group lives in the shard of
/// ``OffsetsTopic/partition(for:partitionCount:)``.
///
/// ```swift
/// var state = GroupCoordinatorState(config: config)
/// var actions = state.handle(.becameLeader(partition: 0), now: 0)   // → .load(partition: 0, id)
/// actions = state.handle(.loaded(partition: 0, id, []), now: 1)     // → timers
/// actions = state.handle(.join(1, input), now: 2)                   // → .respond / .schedule / .append
/// ```
///
/// Invariant: every request handed in gets exactly one ``GroupCoordinatorAction/respond(_:_:)``,
/// now or later (after an append, a timer, or when the partition is given up).
public struct GroupCoordinatorState: Sendable {
    public let config: GroupCoordinatorConfig

    enum PartitionStatus: Sendable {
        case loading(LoadID)
        case active(GroupCoordinatorShard)
        /// Reading the log failed; becoming leader again retries.
        case failed
    }

    var partitions: [Int32: PartitionStatus] = [:]
    var nextIncarnation: UInt64 = 0
    /// The cluster's topics as last reported (``GroupCoordinatorEvent/topicsChanged(_:)``).
    public private(set) var topics: ConsumerTopics = .none
    /// The partitions `__consumer_offsets` has: `offsets.topic.num.partitions` until the topic
    /// is found with another count.
    public private(set) var partitionCount: Int32

    public init(config: GroupCoordinatorConfig) {
        self.config = config
        self.partitionCount = config.offsetsTopicPartitions
    }

    /// The offsets partition holding `groupId`.
    public func partition(for groupId: String) -> Int32 {
        OffsetsTopic.partition(for: groupId, partitionCount: partitionCount)
    }

    /// Uses the partition count the existing topic has (as Kafka does, whatever the config
    /// says). Only possible while no partition is owned, since it moves groups between
    /// partitions; returns whether it applied.
    public mutating func usePartitionCount(_ count: Int32) -> Bool {
        guard count > 0 else { return false }
        if count == partitionCount { return true }
        guard partitions.isEmpty else { return false }
        partitionCount = count
        return true
    }

    /// The offsets partitions this coordinator leads (loaded, loading or failed to load).
    public var ownedPartitions: [Int32] { partitions.keys.sorted() }

    /// Whether this coordinator can serve `groupId` now: `.noError`, `.notCoordinator`,
    /// `.coordinatorLoadInProgress` or `.coordinatorNotAvailable`.
    public func status(of groupId: String) -> ErrorCode {
        switch partitions[partition(for: groupId)] {
        case nil: return .notCoordinator
        case .loading: return .coordinatorLoadInProgress
        case .failed: return .coordinatorNotAvailable
        case .active: return .noError
        }
    }

    /// The offsets partitions whose groups are loaded.
    public var activePartitions: [Int32] {
        partitions.compactMap { p, status in
            if case .active = status { return p }
            return nil
        }.sorted()
    }

    // MARK: Events

    public mutating func handle(_ event: GroupCoordinatorEvent, now: Int64) -> [GroupCoordinatorAction] {
        switch event {
        case let .join(request, input):
            if input.groupId.isEmpty { return [.respond(request, .join(.failure(.invalidGroupId, memberId: input.memberId)))] }
            return route(input.groupId, event, now) { .join(.failure($0, memberId: input.memberId)) }
        case let .sync(request, input):
            if input.groupId.isEmpty { return [.respond(request, .sync(SyncGroupResult(error: .invalidGroupId)))] }
            // While loading, the rebalance in progress is lost: have the member rejoin (older
            // clients do not expect COORDINATOR_LOAD_IN_PROGRESS here).
            return route(input.groupId, event, now) {
                .sync(SyncGroupResult(error: $0 == .coordinatorLoadInProgress ? .rebalanceInProgress : $0))
            }
        case let .heartbeat(request, input):
            if input.groupId.isEmpty { return [.respond(request, .heartbeat(.invalidGroupId))] }
            // While loading, heartbeats are answered blindly: the group comes back as it was.
            return route(input.groupId, event, now) { .heartbeat($0 == .coordinatorLoadInProgress ? .noError : $0) }
        case let .leave(request, input):
            if input.groupId.isEmpty { return [.respond(request, .leave(LeaveGroupResult(error: .invalidGroupId, members: [])))] }
            return route(input.groupId, event, now) { .leave(LeaveGroupResult(error: $0, members: [])) }
        case let .commit(_, input):
            return route(input.groupId, event, now) { error in
                .commit(PartitionErrors(Dictionary(input.offsets.map { ($0.topicPartition, error) },
                                                   uniquingKeysWith: { a, _ in a })))
            }
        case let .txnCommit(_, input):
            return route(input.groupId, event, now) { error in
                .commit(PartitionErrors(Dictionary(input.offsets.map { ($0.topicPartition, error) },
                                                   uniquingKeysWith: { a, _ in a })))
            }
        case let .transactionCompleted(partition, _, _):
            // A marker written while the partition loads is in the log the load reads.
            return withShard(partition) { $0.handle(event, now: now) }
        case let .transactionalOffsetsLoaded(partition, id, pending):
            guard id.value == (activeIncarnation(partition) ?? 0) else { return [] }
            return withShard(partition) { shard in
                shard.restoreTransactionalOffsets(pending)
                return []
            }
        case let .deleteGroup(_, groupId):
            return route(groupId, event, now) { .deleteGroup($0) }
        case let .deleteOffsets(_, input):
            return route(input.groupId, event, now) { .deleteOffsets(OffsetDeleteResult(error: $0)) }
        case let .consumerHeartbeat(request, input):
            if input.groupId.isEmpty {
                return [.respond(request, .consumerHeartbeat(.failure(.invalidGroupId, "GroupId can't be empty.")))]
            }
            return route(input.groupId, event, now) { .consumerHeartbeat(.failure($0)) }
        case let .topicsChanged(topics):
            guard topics.version >= self.topics.version else { return [] }
            self.topics = topics
            for p in activePartitions {
                _ = withShard(p) { shard in
                    shard.topics = topics
                    return []
                }
            }
            return []
        case let .timerFired(timer):
            return withShard(timer.partition) { $0.handle(event, now: now) }
        case let .appendCompleted(partition, id, _):
            return withShard(partition) { shard in
                id.shard == shard.incarnation ? shard.handle(event, now: now) : []
            }
        case let .becameLeader(partition):
            switch partitions[partition] {
            case .loading, .active:
                return []
            case .failed, nil:
                nextIncarnation += 1
                let id = LoadID(value: nextIncarnation)
                partitions[partition] = .loading(id)
                return [.load(partition: partition, id)]
            }
        case let .resigned(partition):
            guard let status = partitions.removeValue(forKey: partition) else { return [] }
            guard case var .active(shard) = status else { return [.cancelTimers(partition: partition)] }
            return shard.resign(now: now) + [.cancelTimers(partition: partition)]
        case let .loaded(partition, id, records):
            guard case let .loading(expected) = partitions[partition], expected == id else { return [] }
            let (shard, actions) = GroupCoordinatorShard.load(
                partition: partition, incarnation: id.value, config: config, records: records, now: now, topics: topics)
            partitions[partition] = .active(shard)
            return actions
        case let .loadFailed(partition, id):
            guard case let .loading(expected) = partitions[partition], expected == id else { return [] }
            partitions[partition] = .failed
            return []
        }
    }

    /// The incarnation (load id) of an active partition's shard.
    private func activeIncarnation(_ partition: Int32) -> UInt64? {
        guard case let .active(shard) = partitions[partition] else { return nil }
        return shard.incarnation
    }

    /// Sends a group request to its shard, or answers it with the reason it cannot be served here.
    private mutating func route(_ groupId: String, _ event: GroupCoordinatorEvent, _ now: Int64,
                                unavailable: (ErrorCode) -> GroupResponse) -> [GroupCoordinatorAction] {
        let status = status(of: groupId)
        guard status == .noError else {
            return [.respond(event.requestID!, unavailable(status))]
        }
        return withShard(partition(for: groupId)) { $0.handle(event, now: now) }
    }

    private mutating func withShard(_ partition: Int32,
                                    _ body: (inout GroupCoordinatorShard) -> [GroupCoordinatorAction]) -> [GroupCoordinatorAction] {
        guard case var .active(shard) = partitions[partition] else { return [] }
        // Take the shard out while it changes, so that it is not copied.
        partitions[partition] = .failed
        let actions = body(&shard)
        partitions[partition] = .active(shard)
        return actions
    }

    // MARK: Queries

    public func hasPendingTransactionalOffset(groupId: String, _ tp: TopicPartition) -> Bool {
        guard case let .active(shard) = partitions[partition(for: groupId)] else { return false }
        return shard.hasPendingTransactionalOffset(groupId: groupId, tp)
    }

    /// OffsetFetch for one group: the offsets asked for (-1 where none is committed), or all of the
    /// group's offsets when `partitions` is nil. `member` (OffsetFetch v9: member id, epoch) is
    /// checked against a consumer group's members.
    public func fetchOffsets(groupId: String, partitions asked: [TopicPartition]?,
                             member: (id: String?, epoch: Int32)? = nil) -> OffsetFetchResult {
        guard case let .active(shard) = partitions[partition(for: groupId)] else {
            return OffsetFetchResult(error: status(of: groupId))
        }
        return shard.fetchOffsets(groupId: groupId, partitions: asked, member: member)
    }

    /// ConsumerGroupDescribe for one group: GROUP_ID_NOT_FOUND for classic and unknown groups.
    public func describeConsumerGroup(_ groupId: String) -> ConsumerGroupDescription {
        if groupId.isEmpty { return .failure(groupId, .invalidGroupId, "GroupId can't be empty.") }
        guard case let .active(shard) = partitions[partition(for: groupId)] else {
            return .failure(groupId, status(of: groupId))
        }
        return shard.describeConsumerGroup(groupId)
    }

    /// DescribeGroups for one group; an unknown group is described as `Dead`, as Kafka does.
    public func describeGroup(_ groupId: String) -> GroupDescription {
        guard case let .active(shard) = partitions[partition(for: groupId)] else {
            return GroupDescription(groupId: groupId, error: status(of: groupId), state: "", protocolType: "",
                                    protocolName: "", members: [])
        }
        return shard.describeGroup(groupId)
    }

    /// ListGroups: the groups of every loaded partition, filtered by state and type
    /// (case-insensitive; empty filters match everything). The error is
    /// COORDINATOR_LOAD_IN_PROGRESS while a partition is loading, as in Kafka.
    public func listGroups(states: [String] = [], types: [String] = []) -> (ErrorCode, [GroupListing]) {
        let stateFilter = Set(states.map { $0.lowercased() })
        let typeFilter = Set(types.map { $0.lowercased() })
        var listings: [GroupListing] = []
        var error = ErrorCode.noError
        for status in partitions.values {
            switch status {
            case let .active(shard):
                listings += shard.listGroups().filter {
                    (stateFilter.isEmpty || stateFilter.contains($0.state.lowercased()))
                        && (typeFilter.isEmpty || typeFilter.contains($0.type))
                }
            case .loading:
                error = .coordinatorLoadInProgress
            case .failed:
                break
            }
        }
        return (error, listings.sorted { $0.groupId < $1.groupId })
    }
}

extension GroupCoordinatorEvent {
    /// The request an event carries, if it is a request.
    var requestID: RequestID? {
        switch self {
        case let .join(id, _), let .sync(id, _), let .heartbeat(id, _), let .leave(id, _), let .commit(id, _),
             let .deleteGroup(id, _), let .deleteOffsets(id, _), let .consumerHeartbeat(id, _), let .txnCommit(id, _):
            return id
        default:
            return nil
        }
    }
}
