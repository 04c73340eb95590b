import KafkaProtocol
import SluiceBase
import NIOCore
import SluiceStorage

/// The groups of one `__consumer_offsets` partition that this broker leads, and the appends to
/// that partition not yet finished. Pure: ``GroupCoordinatorState`` feeds it events and collects
/// its actions. A group id names a classic group (`groups`) or a consumer group
/// (`consumerGroups`, KIP-848), never both.
struct GroupCoordinatorShard: Sendable {
    let partition: Int32
    /// Tells this leadership's appends from an earlier one's.
    let incarnation: UInt64
    let config: GroupCoordinatorConfig
    var groups: [String: Group] = [:]
    var consumerGroups: [String: ConsumerGroup] = [:]
    /// The cluster's topics, as last reported (consumer groups subscribe to them).
    var topics: ConsumerTopics = .none
    var pendingAppends: [UInt64: PendingAppend] = [:]
    var nextAppendSequence: UInt64 = 0
    var nextGroupIncarnation: UInt64 = 0
    var expirationDeadline: Int64?
    /// Transactional offset commits waiting for their transaction's marker: producer id → group →
    /// partition → offset (Kafka's `pendingTransactionalOffsetCommits`).
    var transactionalOffsets: [Int64: [String: [TopicPartition: OffsetCommitValue]]] = [:]

    init(partition: Int32, incarnation: UInt64, config: GroupCoordinatorConfig) {
        self.partition = partition
        self.incarnation = incarnation
        self.config = config
    }

    func context(now: Int64) -> GroupContext {
        GroupContext(now: now, config: config, partition: partition)
    }

    /// Creates an empty group.
    mutating func createGroup(_ groupId: String, now: Int64) -> Group {
        nextGroupIncarnation += 1
        let group = Group(groupId: groupId, incarnation: nextGroupIncarnation, now: now)
        groups[groupId] = group
        return group
    }

    /// Runs `body` on an existing group and drops the group if it ends up holding nothing that
    /// was ever written (a failed first join).
    mutating func withGroup(_ groupId: String, _ ctx: inout GroupContext, _ body: (inout Group, inout GroupContext) -> Void) {
        guard groups[groupId] != nil else { return }
        body(&groups[groupId]!, &ctx)
        let group = groups[groupId]!
        if group.state == .empty && group.generationId == 0 && group.members.isEmpty && group.pendingMembers.isEmpty
            && group.offsets.isEmpty && group.pendingCommits.isEmpty {
            groups.removeValue(forKey: groupId)
        }
    }

    /// The context's appends become ``GroupCoordinatorAction/append(partition:_:_:timestamp:)``
    /// actions; returns all its actions.
    mutating func finish(_ ctx: GroupContext) -> [GroupCoordinatorAction] {
        var actions = ctx.actions
        for (records, purpose) in ctx.appends {
            nextAppendSequence += 1
            let id = AppendID(shard: incarnation, sequence: nextAppendSequence)
            pendingAppends[nextAppendSequence] = purpose
            actions.append(.append(partition: partition, id, records, timestamp: ctx.now))
        }
        for append in ctx.transactionalAppends {
            nextAppendSequence += 1
            let id = AppendID(shard: incarnation, sequence: nextAppendSequence)
            pendingAppends[nextAppendSequence] = append.purpose
            actions.append(.appendTransactional(partition: partition, id, append.records, producerId: append.producerId,
                                                producerEpoch: append.producerEpoch, timestamp: ctx.now))
        }
        return actions
    }

    // MARK: Requests

    mutating func handle(_ event: GroupCoordinatorEvent, now: Int64) -> [GroupCoordinatorAction] {
        var ctx = context(now: now)
        switch event {
        case let .join(request, input):
            join(request, input, &ctx)
        case let .sync(request, input):
            if groups[input.groupId] == nil {
                ctx.respond(request, .sync(SyncGroupResult(error: .unknownMemberId)))
            }
            withGroup(input.groupId, &ctx) { $0.sync(request, input, &$1) }
        case let .heartbeat(request, input):
            if groups[input.groupId] == nil {
                ctx.respond(request, .heartbeat(.unknownMemberId))
            }
            withGroup(input.groupId, &ctx) { $0.heartbeat(request, input, &$1) }
        case let .leave(request, input):
            if groups[input.groupId] == nil {
                let results = input.members.map {
                    LeaveMemberResult(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, error: .unknownMemberId)
                }
                ctx.respond(request, .leave(LeaveGroupResult(error: .noError, members: results)))
            }
            withGroup(input.groupId, &ctx) { $0.leave(request, input, &$1) }
        case let .commit(request, input) where consumerGroups[input.groupId] != nil:
            consumerGroups[input.groupId]!.commit(request, input, &ctx)
        case let .commit(request, input):
            if groups[input.groupId] == nil {
                guard input.generationId < 0 else {
                    // A member of a generation this coordinator never saw.
                    let errors = Dictionary(input.offsets.map { ($0.topicPartition, ErrorCode.illegalGeneration) },
                                            uniquingKeysWith: { a, _ in a })
                    ctx.respond(request, .commit(PartitionErrors(errors)))
                    break
                }
                _ = createGroup(input.groupId, now: now)
            }
            withGroup(input.groupId, &ctx) { $0.commit(request, input, &$1) }
        case let .deleteGroup(request, groupId):
            deleteGroup(request, groupId, &ctx)
        case let .deleteOffsets(request, input):
            deleteOffsets(request, input, &ctx)
        case let .consumerHeartbeat(request, input):
            consumerHeartbeat(request, input, &ctx)
        case let .timerFired(timer):
            timerFired(timer.timer, &ctx)
        case let .appendCompleted(_, id, error):
            appendCompleted(id.sequence, error, &ctx)
        case let .txnCommit(request, input):
            txnCommit(request, input, &ctx)
        case let .transactionCompleted(_, producerId, commit):
            completeTransaction(producerId: producerId, commit: commit, now: now)
        case .becameLeader, .resigned, .loaded, .loadFailed, .topicsChanged, .transactionalOffsetsLoaded:
            break  // handled by GroupCoordinatorState
        }
        return finish(ctx)
    }

    private mutating func join(_ request: RequestID, _ input: JoinGroupInput, _ ctx: inout GroupContext) {
        guard input.sessionTimeoutMs >= config.minSessionTimeoutMs, input.sessionTimeoutMs <= config.maxSessionTimeoutMs
        else {
            ctx.respond(request, .join(.failure(.invalidSessionTimeout, memberId: input.memberId)))
            return
        }
        if let consumerGroup = consumerGroups[input.groupId] {
            // A consumer group takes no classic members; an empty one becomes a classic group.
            guard consumerGroup.members.isEmpty, input.memberId.isEmpty else {
                ctx.respond(request, .join(.failure(consumerGroup.members.isEmpty ? .unknownMemberId : .inconsistentGroupProtocol,
                                                    memberId: input.memberId)))
                return
            }
            convertToClassicGroup(input.groupId, &ctx)
        }
        if groups[input.groupId] == nil {
            // Only a member joining for the first time may create the group.
            guard input.memberId.isEmpty else {
                ctx.respond(request, .join(.failure(.unknownMemberId, memberId: input.memberId)))
                return
            }
            _ = createGroup(input.groupId, now: ctx.now)
        }
        withGroup(input.groupId, &ctx) { $0.join(request, input, &$1) }
    }

    // MARK: Timers

    private mutating func timerFired(_ timer: GroupTimer, _ ctx: inout GroupContext) {
        switch timer {
        case let .session(groupId, memberId):
            withGroup(groupId, &ctx) { $0.sessionTimerFired(memberId: memberId, &$1) }
        case let .pendingMember(groupId, memberId):
            withGroup(groupId, &ctx) { $0.pendingMemberTimerFired(memberId: memberId, &$1) }
        case let .join(groupId):
            withGroup(groupId, &ctx) { $0.joinTimerFired(&$1) }
        case let .sync(groupId):
            withGroup(groupId, &ctx) { $0.syncTimerFired(&$1) }
        case .offsetExpiration:
            expirationTimerFired(&ctx)
        case .consumerSession, .consumerRevocation:
            consumerTimerFired(timer, &ctx)
        }
    }

    // MARK: Appends

    private mutating func appendCompleted(_ sequence: UInt64, _ error: ErrorCode, _ ctx: inout GroupContext) {
        guard let purpose = pendingAppends.removeValue(forKey: sequence) else { return }
        switch purpose {
        case let .commit(request, groupId, incarnation, values, errors):
            if groups[groupId]?.incarnation == incarnation {
                groups[groupId]!.completeCommit(values, error: error)
            } else if consumerGroups[groupId]?.incarnation == incarnation {
                consumerGroups[groupId]!.completeCommit(values, error: error)
            }
            var all = errors
            for tp in values.keys {
                all[tp] = error == .noError ? .noError : error.forOffsetCommit
            }
            ctx.respond(request, .commit(PartitionErrors(all)))
        case let .assignment(groupId, incarnation, generation, assignments):
            guard groups[groupId]?.incarnation == incarnation else { return }
            withGroup(groupId, &ctx) {
                $0.completeAssignment(generation: generation, assignments: assignments, error: error, &$1)
            }
        case let .staticRejoin(groupId, incarnation, generation, memberId, request, previousLeader):
            guard groups[groupId]?.incarnation == incarnation else {
                ctx.respond(request, .join(.failure(.unknownMemberId, memberId: "")))
                return
            }
            withGroup(groupId, &ctx) {
                $0.completeStaticRejoin(memberId: memberId, request: request, generation: generation,
                                        previousLeader: previousLeader, error: error, &$1)
            }
        case .groupMetadata:
            break
        case let .consumerHeartbeat(request, groupId, incarnation, result):
            if error == .noError {
                ctx.respond(request, .consumerHeartbeat(result))
            } else {
                if consumerGroups[groupId]?.incarnation == incarnation { consumerGroups[groupId]!.needsFullWrite = true }
                ctx.respond(request, .consumerHeartbeat(.failure(error.forConsumerGroupWrite)))
            }
        case let .consumerGroupWrite(groupId, incarnation):
            if error != .noError, consumerGroups[groupId]?.incarnation == incarnation {
                consumerGroups[groupId]!.needsFullWrite = true
            }
        case let .txnCommit(request, producerId, groupId, values, errors):
            if error == .noError {
                transactionalOffsets[producerId, default: [:]][groupId, default: [:]].merge(values) { _, new in new }
            }
            var all = errors
            for tp in values.keys {
                all[tp] = error == .noError ? .noError : error.forOffsetCommit
            }
            ctx.respond(request, .commit(PartitionErrors(all)))
        case let .deleteGroup(request):
            ctx.respond(request, .deleteGroup(error == .noError ? .noError : error.forOffsetCommit))
        case let .deleteOffsets(request, groupId, incarnation, partitions, result):
            if error == .noError, groups[groupId]?.incarnation == incarnation {
                for tp in partitions {
                    groups[groupId]!.offsets.removeValue(forKey: tp)
                }
            } else if error == .noError, consumerGroups[groupId]?.incarnation == incarnation {
                for tp in partitions {
                    consumerGroups[groupId]!.offsets.removeValue(forKey: tp)
                }
            }
            ctx.respond(request, .deleteOffsets(error == .noError ? result : OffsetDeleteResult(error: error.forOffsetCommit)))
        case let .expiration(expired):
            guard error == .noError else { return }
            for (groupId, entry) in expired {
                for tp in entry.partitions {
                    if groups[groupId]?.incarnation == entry.incarnation {
                        groups[groupId]!.offsets.removeValue(forKey: tp)
                    } else if consumerGroups[groupId]?.incarnation == entry.incarnation {
                        consumerGroups[groupId]!.offsets.removeValue(forKey: tp)
                    }
                }
            }
        }
    }

    /// The partition is no longer ours: answer everything still waiting.
    mutating func resign(now: Int64) -> [GroupCoordinatorAction] {
        var ctx = context(now: now)
        for groupId in groups.keys {
            groups[groupId]!.failPendingRequests(.notCoordinator, &ctx)
        }
        for purpose in pendingAppends.values {
            switch purpose {
            case let .commit(request, _, _, values, errors), let .txnCommit(request, _, _, values, errors):
                var all = errors
                for tp in values.keys { all[tp] = .notCoordinator }
                ctx.respond(request, .commit(PartitionErrors(all)))
            case let .staticRejoin(_, _, _, _, request, _):
                _ = request  // answered by failPendingRequests: the member's JoinGroup was pending
            case let .deleteGroup(request):
                ctx.respond(request, .deleteGroup(.notCoordinator))
            case let .deleteOffsets(request, _, _, _, _):
                ctx.respond(request, .deleteOffsets(OffsetDeleteResult(error: .notCoordinator)))
            case let .consumerHeartbeat(request, _, _, _):
                ctx.respond(request, .consumerHeartbeat(.failure(.notCoordinator)))
            case .assignment, .groupMetadata, .expiration, .consumerGroupWrite:
                break
            }
        }
        pendingAppends = [:]
        groups = [:]
        consumerGroups = [:]
        return ctx.actions
    }
}
