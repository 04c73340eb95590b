import KafkaProtocol
import NIOCore
import SluiceStorage

/// Consumer groups (KIP-848) in the shard, beside classic groups: a group id is one or the other.
/// An empty group of one kind becomes the other kind when a member of the other protocol joins
/// (its offsets stay); a group with members refuses the other protocol, as Kafka does without
/// online migration: GROUP_ID_NOT_FOUND for ConsumerGroupHeartbeat, INCONSISTENT_GROUP_PROTOCOL
/// for JoinGroup.
extension GroupCoordinatorShard {
    mutating func consumerHeartbeat(_ request: RequestID, _ input: ConsumerGroupHeartbeatInput, _ ctx: inout GroupContext) {
        if let (error, message) = Self.validate(input, config) {
            ctx.respond(request, .consumerHeartbeat(.failure(error, message)))
            return
        }
        let groupId = input.groupId
        if input.memberEpoch < 0 {
            guard var group = consumerGroups[groupId] else {
                ctx.respond(request, .consumerHeartbeat(.failure(.groupIdNotFound, "Consumer group \(groupId) not found.")))
                return
            }
            let outcome = group.leave(input, topics: topics, &ctx)
            consumerGroups[groupId] = group
            finish(outcome, request, group, &ctx, extra: [])
            return
        }
        // The group, converting an empty classic group (or creating it) on a first join.
        var extra: [CoordinatorRecord] = []
        let before = (classic: groups[groupId], consumer: consumerGroups[groupId])
        if consumerGroups[groupId] == nil {
            if let classic = groups[groupId] {
                guard classic.isConvertible, input.memberEpoch == 0 else {
                    ctx.respond(request, .consumerHeartbeat(.failure(.groupIdNotFound, "Group \(groupId) is not a consumer group.")))
                    return
                }
                extra = convertToConsumerGroup(groupId, now: ctx.now)
            } else {
                guard input.memberEpoch == 0 else {
                    // The group is gone (deleted, or never written): the member must join again.
                    ctx.respond(request, .consumerHeartbeat(.failure(.unknownMemberId, "Consumer group \(groupId) has no member \(input.memberId).")))
                    return
                }
                nextGroupIncarnation += 1
                consumerGroups[groupId] = ConsumerGroup(groupId: groupId, incarnation: nextGroupIncarnation, now: ctx.now)
            }
        }
        var group = consumerGroups[groupId]!
        let outcome = group.heartbeat(input, topics: topics, &ctx)
        if case .failure = outcome {
            // Nothing happened: undo a creation or conversion.
            groups[groupId] = before.classic
            consumerGroups[groupId] = before.consumer
        } else {
            consumerGroups[groupId] = group
        }
        finish(outcome, request, group, &ctx, extra: extra)
    }

    /// Answers now (nothing to write) or once the records are written.
    private func finish(_ outcome: ConsumerGroup.Outcome, _ request: RequestID, _ group: ConsumerGroup,
                        _ ctx: inout GroupContext, extra: [CoordinatorRecord]) {
        switch outcome {
        case let .failure(error, message):
            ctx.respond(request, .consumerHeartbeat(.failure(error, message)))
        case let .success(result, records):
            let all = extra + records
            if all.isEmpty {
                ctx.respond(request, .consumerHeartbeat(result))
            } else {
                ctx.append(all, for: .consumerHeartbeat(request: request, group: group.groupId,
                                                        incarnation: group.incarnation, result: result))
            }
        }
    }

    /// Kafka's checks of a ConsumerGroupHeartbeat that need no group.
    static func validate(_ input: ConsumerGroupHeartbeatInput, _ config: GroupCoordinatorConfig) -> (ErrorCode, String)? {
        func blank(_ s: String?) -> Bool { s.map { $0.trimmingCharacters(in: .whitespaces).isEmpty } ?? false }
        if blank(input.instanceId) { return (.invalidRequest, "InstanceId can't be empty.") }
        if blank(input.rackId) { return (.invalidRequest, "RackId can't be empty.") }
        switch input.memberEpoch {
        case 0:
            if input.memberId.isEmpty { return (.invalidRequest, "MemberId can't be empty.") }
            if input.rebalanceTimeoutMs == -1 {
                return (.invalidRequest, "RebalanceTimeoutMs must be provided in first request.")
            }
            if input.ownedPartitions.map({ !$0.isEmpty }) ?? true {
                return (.invalidRequest, "TopicPartitions must be empty when (re-)joining.")
            }
            if (input.subscribedTopicNames ?? []).isEmpty && (input.subscribedTopicRegex ?? "").isEmpty {
                return (.invalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
            }
        case ConsumerGroupHeartbeatInput.staticLeaveEpoch:
            if input.memberId.isEmpty { return (.invalidRequest, "MemberId can't be empty.") }
            if input.instanceId == nil { return (.invalidRequest, "InstanceId can't be null.") }
        case let epoch where epoch > 0 || epoch == ConsumerGroupHeartbeatInput.leaveEpoch:
            if input.memberId.isEmpty { return (.invalidRequest, "MemberId can't be empty.") }
        default:
            return (.invalidRequest, "MemberEpoch is invalid.")
        }
        if let name = input.serverAssignor, !config.consumerAssignorList.contains(where: { $0 == ServerAssignor.named(name) }) {
            let supported = config.consumerAssignorList.map(\.rawValue).joined(separator: ", ")
            return (.unsupportedAssignor, "ServerAssignor \(name) is not supported. Supported assignors: \(supported).")
        }
        if let regex = input.subscribedTopicRegex, !regex.isEmpty, !TopicRegex.isValid(regex) {
            return (.invalidRegularExpression, "SubscribedTopicRegex \(regex) is not a valid regular expression.")
        }
        return nil
    }

    // MARK: Conversions

    /// An empty classic group becomes a consumer group (KIP-848's upgrade): its metadata record
    /// is deleted, its offsets stay. Returns the records to write with the join.
    mutating func convertToConsumerGroup(_ groupId: String, now: Int64) -> [CoordinatorRecord] {
        guard let classic = groups.removeValue(forKey: groupId) else { return [] }
        var group = ConsumerGroup(groupId: groupId, incarnation: classic.incarnation, now: now)
        group.offsets = classic.offsets
        group.pendingCommits = classic.pendingCommits
        consumerGroups[groupId] = group
        return [.groupMetadata(GroupMetadataKey(group: groupId), nil)]
    }

    /// An empty consumer group becomes a classic group for a JoinGroup: its records are deleted,
    /// its offsets stay. The tombstones are written before the join goes on.
    mutating func convertToClassicGroup(_ groupId: String, _ ctx: inout GroupContext) {
        guard let group = consumerGroups.removeValue(forKey: groupId) else { return }
        var classic = Group(groupId: groupId, incarnation: group.incarnation, now: ctx.now)
        classic.offsets = group.offsets
        classic.pendingCommits = group.pendingCommits
        groups[groupId] = classic
        ctx.append(group.deletionTombstones, for: .groupMetadata)
    }

    // MARK: Timers

    mutating func consumerTimerFired(_ timer: GroupTimer, _ ctx: inout GroupContext) {
        let records: [CoordinatorRecord]
        let groupId: String
        switch timer {
        case let .consumerSession(g, member):
            groupId = g
            guard consumerGroups[g] != nil else { return }
            records = consumerGroups[g]!.sessionTimerFired(member, topics: topics, &ctx)
        case let .consumerRevocation(g, member):
            groupId = g
            guard consumerGroups[g] != nil else { return }
            records = consumerGroups[g]!.revocationTimerFired(member, topics: topics, &ctx)
        default:
            return
        }
        if !records.isEmpty, let group = consumerGroups[groupId] {
            ctx.append(records, for: .consumerGroupWrite(group: groupId, incarnation: group.incarnation))
        }
    }

    // MARK: Queries

    func describeConsumerGroup(_ groupId: String) -> ConsumerGroupDescription {
        guard let group = consumerGroups[groupId] else {
            let message = groups[groupId] == nil ? "Group \(groupId) not found." : "Group \(groupId) is not a consumer group."
            return .failure(groupId, .groupIdNotFound, message)
        }
        let members = group.members.values.map { m in
            ConsumerMemberDescription(
                memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch,
                clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
                subscribedTopicRegex: m.subscribedTopicRegex, assignment: m.ownedPartitions,
                targetAssignment: group.targetAssignment[m.memberId] ?? .empty, state: m.state)
        }
        return ConsumerGroupDescription(
            groupId: groupId, error: .noError, errorMessage: nil, state: group.state.rawValue,
            groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch,
            assignorName: group.preferredAssignor(configured: config.consumerAssignorList).rawValue, members: members)
    }
}

extension Group {
    /// Whether a consumer-protocol member may turn the group into a consumer group: it has no
    /// members and no rebalance under way.
    var isConvertible: Bool {
        members.isEmpty && pendingMembers.isEmpty && state == .empty
    }
}
