import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// The administrative side: describing, listing and deleting groups, fetching and deleting offsets.
extension GroupCoordinatorShard {
    mutating func deleteGroup(_ request: RequestID, _ groupId: String, _ ctx: inout GroupContext) {
        if let group = consumerGroups[groupId] {
            guard group.members.isEmpty else {
                ctx.respond(request, .deleteGroup(.nonEmptyGroup))
                return
            }
            let partitions = Set(group.offsets.keys).union(group.pendingCommits.keys).sorted()
            consumerGroups.removeValue(forKey: groupId)
            ctx.append(group.offsetTombstones(partitions) + group.deletionTombstones, for: .deleteGroup(request: request))
            return
        }
        guard let group = groups[groupId], group.state != .dead else {
            ctx.respond(request, .deleteGroup(.groupIdNotFound))
            return
        }
        guard group.state == .empty else {
            ctx.respond(request, .deleteGroup(.nonEmptyGroup))
            return
        }
        // Tombstones cover commits still being written too, so that replaying the log agrees.
        let partitions = Set(group.offsets.keys).union(group.pendingCommits.keys).sorted()
        var records = group.offsetTombstones(partitions)
        records.append(.groupMetadata(GroupMetadataKey(group: groupId), nil))
        groups.removeValue(forKey: groupId)
        ctx.append(records, for: .deleteGroup(request: request))
    }

    mutating func deleteOffsets(_ request: RequestID, _ input: OffsetDeleteInput, _ ctx: inout GroupContext) {
        if let group = consumerGroups[input.groupId] {
            // Offsets of topics the members subscribe to stay (all may go once it is empty).
            let subscribed = group.subscribedTopicNames
            deleteOffsets(request, input, of: group, subscribed: { subscribed.contains($0) }, &ctx)
            return
        }
        guard let group = groups[input.groupId], group.state != .dead else {
            ctx.respond(request, .deleteOffsets(OffsetDeleteResult(error: .groupIdNotFound)))
            return
        }
        var errors: [TopicPartition: ErrorCode] = [:]
        var deletable: [TopicPartition] = []
        switch group.state {
        case .empty:
            deletable = input.partitions
        case .preparingRebalance, .completingRebalance, .stable:
            guard group.protocolType == "consumer" else {
                ctx.respond(request, .deleteOffsets(OffsetDeleteResult(error: .nonEmptyGroup)))
                return
            }
            let subscribed = group.subscribedTopics()
            for tp in input.partitions {
                if subscribed.map({ $0.contains(tp.topic) }) ?? true {
                    errors[tp] = .groupSubscribedToTopic
                } else {
                    deletable.append(tp)
                }
            }
        case .dead:
            ctx.respond(request, .deleteOffsets(OffsetDeleteResult(error: .groupIdNotFound)))
            return
        }
        for tp in deletable { errors[tp] = .noError }
        writeOffsetDeletion(request, input.groupId, group, deletable: deletable, errors: errors, &ctx)
    }

    private func deleteOffsets(_ request: RequestID, _ input: OffsetDeleteInput, of group: some OffsetHolder,
                               subscribed: (String) -> Bool, _ ctx: inout GroupContext) {
        var errors: [TopicPartition: ErrorCode] = [:]
        var deletable: [TopicPartition] = []
        for tp in input.partitions {
            if subscribed(tp.topic) {
                errors[tp] = .groupSubscribedToTopic
            } else {
                deletable.append(tp)
                errors[tp] = .noError
            }
        }
        writeOffsetDeletion(request, input.groupId, group, deletable: deletable, errors: errors, &ctx)
    }

    private func writeOffsetDeletion(_ request: RequestID, _ groupId: String, _ group: some OffsetHolder,
                                     deletable: [TopicPartition], errors: [TopicPartition: ErrorCode],
                                     _ ctx: inout GroupContext) {
        let result = OffsetDeleteResult(error: .noError, partitions: errors)
        let present = deletable.filter { group.offsets[$0] != nil || group.pendingCommits[$0] != nil }
        if present.isEmpty {
            ctx.respond(request, .deleteOffsets(result))
            return
        }
        ctx.append(group.offsetTombstones(present), for: .deleteOffsets(
            request: request, group: groupId, incarnation: group.incarnation, partitions: present, result: result))
    }

    /// OffsetFetch; `member` (id, epoch) is checked against a consumer group's member (v9+).
    func fetchOffsets(groupId: String, partitions: [TopicPartition]?, member: (id: String?, epoch: Int32)? = nil) -> OffsetFetchResult {
        if let group = consumerGroups[groupId] {
            if let member, let (error, _) = group.validateFetch(memberId: member.id, memberEpoch: member.epoch) {
                return OffsetFetchResult(error: error)
            }
            return OffsetFetchResult(error: .noError, offsets: group.fetchOffsets(partitions))
        }
        guard let group = groups[groupId] else {
            return OffsetFetchResult(error: .noError, offsets: (partitions ?? []).map { ($0, .none) })
        }
        return OffsetFetchResult(error: .noError, offsets: group.fetchOffsets(partitions))
    }

    func describeGroup(_ groupId: String) -> GroupDescription {
        guard let group = groups[groupId] else {
            return GroupDescription(groupId: groupId, error: .noError, state: GroupState.dead.rawValue, protocolType: "",
                                    protocolName: "", members: [])
        }
        // As Kafka: metadata and assignments only for a stable group.
        let stableProtocol = group.state == .stable ? group.protocolName : nil
        let members = group.members.values.map { m in
            DescribedMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                clientHost: m.clientHost,
                metadata: stableProtocol.flatMap { m.metadata(for: $0) } ?? ByteBuffer(),
                assignment: stableProtocol == nil ? ByteBuffer() : m.assignment)
        }
        return GroupDescription(groupId: groupId, error: .noError, state: group.state.rawValue,
                                protocolType: group.protocolType ?? "", protocolName: stableProtocol ?? "",
                                members: members)
    }

    func listGroups() -> [GroupListing] {
        groups.values.map {
            GroupListing(groupId: $0.groupId, protocolType: $0.protocolType ?? "", state: $0.state.rawValue,
                         type: "classic")
        } + consumerGroups.values.map {
            GroupListing(groupId: $0.groupId, protocolType: "consumer", state: $0.state.rawValue, type: "consumer")
        }
    }
}
