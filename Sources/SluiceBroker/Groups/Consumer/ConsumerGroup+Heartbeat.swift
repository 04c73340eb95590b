import KafkaProtocol

/// ConsumerGroupHeartbeat for a member in the group (joining, heartbeating, leaving): update the
/// member, bump the group epoch when subscriptions or their topics changed, compute a new target
/// assignment when the group epoch moved past it, and move the member one step towards its
/// target.
extension ConsumerGroup {
    /// What a heartbeat did: nothing, with an error; or the answer and the records to write.
    enum Outcome: Sendable {
        case failure(ErrorCode, String?)
        case success(ConsumerGroupHeartbeatResult, [CoordinatorRecord])
    }

    /// The member a heartbeat is about: an existing one, a new one, or a new incarnation of a
    /// static member that replaces `replacing`.
    private struct Lookup {
        var member: ConsumerGroupMember
        var isNew = false
        var replacing: ConsumerGroupMember?
    }

    /// A heartbeat with member epoch 0 or more (the request is valid).
    mutating func heartbeat(_ input: ConsumerGroupHeartbeatInput, topics: ConsumerTopics,
                            _ ctx: inout GroupContext) -> Outcome {
        let lookup: Lookup
        switch findMember(input, ctx.config) {
        case let .failure(error): return .failure(error.code, error.message)
        case let .success(found): lookup = found
        }
        var records: [CoordinatorRecord] = []
        if needsFullWrite {
            // Memory may be ahead of the log since a write failed: write it all again.
            records = allRecords
            needsFullWrite = false
        }
        if let old = lookup.replacing {
            records += replaceStaticMember(old, with: lookup.member)
        }
        let original = lookup.member
        var member = original
        member.update(from: input)
        let subscriptionChanged = lookup.isNew || member.subscribedTopicNames != original.subscribedTopicNames
            || member.subscribedTopicRegex != original.subscribedTopicRegex
        if lookup.isNew || lookup.replacing != nil || member.metadataDiffers(from: original) {
            records.append(metadataRecord(member))
        }
        members[member.memberId] = member
        if let instanceId = member.instanceId { staticMembers[instanceId] = member.memberId }

        // 1. The group epoch: bumped when what the group subscribes to changed.
        var bump = subscriptionChanged
        if subscriptionChanged || topicsVersion != topics.version {
            refreshRegexMatches(topics, force: subscriptionChanged)
            topicsVersion = topics.version
            let metadata = computeSubscriptionMetadata(topics)
            if metadata != subscriptionMetadata {
                subscriptionMetadata = metadata
                records.append(subscriptionMetadataRecord)
                bump = true
            }
        }
        if bump {
            groupEpoch += 1
            records.append(epochRecord)
        }
        // 2. The target assignment, when the group epoch is ahead of it.
        if groupEpoch > assignmentEpoch {
            records += computeTargetAssignment(ctx.config)
        }
        // 3. The member's next step.
        let reconciled = reconcile(member.memberId, owned: input.ownedPartitions, &ctx, &records)
        renewSession(member.memberId, &ctx)

        let result = ConsumerGroupHeartbeatResult(
            memberId: reconciled.memberId, memberEpoch: reconciled.memberEpoch,
            heartbeatIntervalMs: ctx.config.consumerHeartbeatIntervalMs,
            assignment: input.isFullRequest || reconciled.assignedPartitions != original.assignedPartitions
                ? reconciled.assignedPartitions : nil)
        return .success(result, records)
    }

    /// Moves `memberId` one step towards its target; writes its current assignment if it moved
    /// and (re)arms its revocation deadline while it revokes.
    @discardableResult
    mutating func reconcile(_ memberId: String, owned: TopicPartitionSet?, _ ctx: inout GroupContext,
                            _ records: inout [CoordinatorRecord]) -> ConsumerGroupMember {
        let before = members[memberId]!
        guard !before.isReconciled(to: assignmentEpoch) else { return before }
        let owners = partitionOwners
        let step = MemberReconciliation(
            targetEpoch: assignmentEpoch, target: targetAssignment[memberId] ?? .empty,
            isOwnedByAnother: { id, p in
                guard let owner = owners[TopicIdPartition(topic: id, partition: p)] else { return false }
                return owner != memberId
            },
            owned: owned)
        var after = step.reconcile(before)
        guard after.assignmentDiffers(from: before) else { return before }
        records.append(currentAssignmentRecord(after))
        updateOwnership(from: before, to: after)
        if after.state == .unrevokedPartitions {
            if before.state != .unrevokedPartitions || before.memberEpoch != after.memberEpoch
                || before.partitionsPendingRevocation != after.partitionsPendingRevocation {
                let timeout = Int64(max(after.rebalanceTimeoutMs, ctx.config.consumerSessionTimeoutMs))
                after.revocationDeadline = ctx.now + timeout
                ctx.schedule(.consumerRevocation(group: groupId, member: memberId), at: after.revocationDeadline!)
            }
        } else {
            after.revocationDeadline = nil
        }
        members[memberId] = after
        return after
    }

    /// Runs the group's assignor over the members' subscriptions; the new target's epoch is the
    /// group epoch. Returns the records of the members whose target changed and the new epoch.
    mutating func computeTargetAssignment(_ config: GroupCoordinatorConfig) -> [CoordinatorRecord] {
        let assignor = preferredAssignor(configured: config.consumerAssignorList)
        let ids = subscriptionMetadata.mapValues(\.topicId)
        var counts: [KafkaUUID: Int32] = [:]
        for topic in subscriptionMetadata.values { counts[topic.topicId] = topic.numPartitions }
        let spec = AssignmentSpec(
            members: members.values.map { m in
                AssignmentSpec.Member(memberId: m.memberId, instanceId: m.instanceId,
                                      topics: Set(subscribedTopics(of: m).compactMap { ids[$0] }),
                                      previous: targetAssignment[m.memberId] ?? .empty)
            },
            partitionCounts: counts)
        let computed = assignor.assign(spec)
        var records: [CoordinatorRecord] = []
        var target: [String: TopicPartitionSet] = [:]
        for memberId in members.keys {
            let partitions = computed[memberId] ?? .empty
            target[memberId] = partitions
            if partitions != (targetAssignment[memberId] ?? .empty) || targetAssignment[memberId] == nil {
                targetAssignment[memberId] = partitions
                records.append(targetRecord(memberId))
            }
        }
        targetAssignment = target
        assignmentEpoch = groupEpoch
        records.append(assignmentEpochRecord)
        return records
    }

    // MARK: Members

    private struct LookupError: Error {
        var code: ErrorCode
        var message: String
        init(_ code: ErrorCode, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The member the heartbeat names, as Kafka checks it: unknown ids and epochs that are not
    /// the member's (nor its previous one, with no more than it holds) are refused.
    private func findMember(_ input: ConsumerGroupHeartbeatInput, _ config: GroupCoordinatorConfig) -> Result<Lookup, LookupError> {
        let joining = input.memberEpoch == 0
        if let instanceId = input.instanceId {
            if let currentId = staticMembers[instanceId], let current = members[currentId] {
                if currentId == input.memberId {
                    return checkEpoch(current, input).map { Lookup(member: $0) }
                }
                guard joining else {
                    return .failure(LookupError(.fencedInstanceId, "The static member \(input.memberId) with instance id \(instanceId) was replaced by \(currentId)."))
                }
                guard current.memberEpoch == ConsumerGroupHeartbeatInput.staticLeaveEpoch else {
                    return .failure(LookupError(.unreleasedInstanceId, "The static member with instance id \(instanceId) has not left the group yet (member \(currentId))."))
                }
                // A new incarnation of the instance takes its place, with what it held.
                var successor = current
                successor.memberId = input.memberId
                successor.memberEpoch = 0
                successor.previousMemberEpoch = 0
                successor.sessionTimerAt = nil
                successor.revocationDeadline = nil
                return .success(Lookup(member: successor, replacing: current))
            }
            guard joining else {
                return .failure(LookupError(.unknownMemberId, "Instance id \(instanceId) is unknown in group \(groupId)."))
            }
        }
        if let member = members[input.memberId] {
            return checkEpoch(member, input).map { Lookup(member: $0) }
        }
        guard joining else {
            return .failure(LookupError(.unknownMemberId, "Member \(input.memberId) is not a member of group \(groupId)."))
        }
        guard members.count < Int(config.consumerMaxGroupSize) else {
            return .failure(LookupError(.groupMaxSizeReached, "The consumer group has reached its maximum capacity of \(config.consumerMaxGroupSize) members."))
        }
        return .success(Lookup(member: ConsumerGroupMember(memberId: input.memberId, instanceId: input.instanceId), isNew: true))
    }

    /// Kafka's epoch check: a member may come with its epoch, or with the previous one if the
    /// answer that bumped it was lost (then it must not hold more than it is assigned), or with 0
    /// to rejoin after it was fenced.
    private func checkEpoch(_ member: ConsumerGroupMember, _ input: ConsumerGroupHeartbeatInput) -> Result<ConsumerGroupMember, LookupError> {
        let epoch = input.memberEpoch
        if epoch == 0 || epoch == member.memberEpoch { return .success(member) }
        if epoch > member.memberEpoch {
            return .failure(LookupError(.fencedMemberEpoch, "The consumer group member has a greater member epoch (\(epoch)) than the one known by the group coordinator (\(member.memberEpoch)). The member must abandon all its partitions and rejoin."))
        }
        if epoch == member.previousMemberEpoch, let owned = input.ownedPartitions, owned.isSubset(of: member.assignedPartitions) {
            return .success(member)
        }
        return .failure(LookupError(.fencedMemberEpoch, "The consumer group member has a smaller member epoch (\(epoch)) than the one known by the group coordinator (\(member.memberEpoch)). The member must abandon all its partitions and rejoin."))
    }

    /// A static member's new incarnation replaces the old one: the old member's records are
    /// removed and its target moves to the new member id.
    private mutating func replaceStaticMember(_ old: ConsumerGroupMember, with successor: ConsumerGroupMember) -> [CoordinatorRecord] {
        members.removeValue(forKey: old.memberId)
        updateOwnership(from: old, to: nil)
        let target = targetAssignment.removeValue(forKey: old.memberId)
        var records = memberTombstones(old.memberId)
        members[successor.memberId] = successor
        updateOwnership(from: nil, to: successor)
        if let target {
            targetAssignment[successor.memberId] = target
            records.append(targetRecord(successor.memberId))
        }
        return records
    }

    /// Pushes a member's session deadline to now + `group.consumer.session.timeout.ms`, making
    /// sure a timer fires no later than that.
    mutating func renewSession(_ memberId: String, _ ctx: inout GroupContext) {
        guard var member = members[memberId] else { return }
        member.sessionDeadline = ctx.now + Int64(ctx.config.consumerSessionTimeoutMs)
        if member.sessionTimerAt.map({ $0 > member.sessionDeadline }) ?? true {
            member.sessionTimerAt = member.sessionDeadline
            ctx.schedule(.consumerSession(group: groupId, member: memberId), at: member.sessionDeadline)
        }
        members[memberId] = member
    }
}

extension ConsumerGroupMember {
    /// Takes what the heartbeat sent; fields it left out keep their values.
    mutating func update(from input: ConsumerGroupHeartbeatInput) {
        if let v = input.instanceId { instanceId = v }
        if let v = input.rackId { rackId = v }
        if input.rebalanceTimeoutMs != -1 { rebalanceTimeoutMs = input.rebalanceTimeoutMs }
        if let v = input.serverAssignor { serverAssignor = v }
        // Sorted: clients may send the same subscription in another order.
        if let names = input.subscribedTopicNames { subscribedTopicNames = Array(Set(names)).sorted() }
        if let regex = input.subscribedTopicRegex { subscribedTopicRegex = regex.isEmpty ? nil : regex }
        clientId = input.clientId
        clientHost = input.clientHost
    }
}
