import KafkaProtocol

/// Members leaving: a leave heartbeat (epoch -1, or -2 for a static member that will come back),
/// a session that ran out, a revocation that took longer than the member's rebalance timeout.
extension ConsumerGroup {
    /// A heartbeat with member epoch -1 or -2.
    mutating func leave(_ input: ConsumerGroupHeartbeatInput, topics: ConsumerTopics, _ ctx: inout GroupContext) -> Outcome {
        guard let instanceId = input.instanceId else {
            guard members[input.memberId] != nil else {
                return .failure(.unknownMemberId, "Member \(input.memberId) is not a member of group \(groupId).")
            }
            let records = fence(input.memberId, topics: topics, &ctx)
            return .success(ConsumerGroupHeartbeatResult(memberId: input.memberId, memberEpoch: input.memberEpoch), records)
        }
        guard let currentId = staticMembers[instanceId], var member = members[currentId] else {
            return .failure(.unknownMemberId, "Instance id \(instanceId) is unknown in group \(groupId).")
        }
        guard currentId == input.memberId else {
            return .failure(.fencedInstanceId, "The static member \(input.memberId) with instance id \(instanceId) was replaced by \(currentId).")
        }
        guard input.memberEpoch == ConsumerGroupHeartbeatInput.staticLeaveEpoch else {
            let records = fence(currentId, topics: topics, &ctx)
            return .success(ConsumerGroupHeartbeatResult(memberId: currentId, memberEpoch: input.memberEpoch), records)
        }
        // It keeps its partitions (nobody else gets them) until it comes back or its session ends.
        let before = member
        member.memberEpoch = ConsumerGroupHeartbeatInput.staticLeaveEpoch
        member.partitionsPendingRevocation = .empty
        member.revocationDeadline = nil
        updateOwnership(from: before, to: member)
        members[currentId] = member
        return .success(ConsumerGroupHeartbeatResult(memberId: currentId, memberEpoch: member.memberEpoch),
                        [currentAssignmentRecord(member)])
    }

    /// Removes a member: its partitions become free, the group epoch is bumped (the next
    /// heartbeat computes a new target assignment). Returns the records to write.
    mutating func fence(_ memberId: String, topics: ConsumerTopics, _ ctx: inout GroupContext) -> [CoordinatorRecord] {
        guard let member = members.removeValue(forKey: memberId) else { return [] }
        updateOwnership(from: member, to: nil)
        if let instanceId = member.instanceId, staticMembers[instanceId] == memberId {
            staticMembers.removeValue(forKey: instanceId)
        }
        targetAssignment.removeValue(forKey: memberId)
        var records = memberTombstones(memberId)
        if topics.version >= 0 {  // unknown topics (none reported yet) would unsubscribe everything
            refreshRegexMatches(topics)
            topicsVersion = topics.version
            let metadata = computeSubscriptionMetadata(topics)
            if metadata != subscriptionMetadata {
                subscriptionMetadata = metadata
                records.append(subscriptionMetadataRecord)
            }
        }
        groupEpoch += 1
        records.append(epochRecord)
        if members.isEmpty {
            // Nobody is left to compute a target for: the (empty) target is current.
            assignmentEpoch = groupEpoch
            targetAssignment = [:]
            records.append(assignmentEpochRecord)
            stateTimestamp = ctx.now
        }
        return records
    }

    /// The member's session timer fired: remove it if its session really ran out.
    mutating func sessionTimerFired(_ memberId: String, topics: ConsumerTopics, _ ctx: inout GroupContext) -> [CoordinatorRecord] {
        guard var member = members[memberId] else { return [] }
        member.sessionTimerAt = nil
        if ctx.now < member.sessionDeadline {
            member.sessionTimerAt = member.sessionDeadline
            ctx.schedule(.consumerSession(group: groupId, member: memberId), at: member.sessionDeadline)
            members[memberId] = member
            return []
        }
        return fence(memberId, topics: topics, &ctx)
    }

    /// The member's revocation deadline passed: remove it if it is still revoking.
    mutating func revocationTimerFired(_ memberId: String, topics: ConsumerTopics, _ ctx: inout GroupContext) -> [CoordinatorRecord] {
        guard let member = members[memberId], member.state == .unrevokedPartitions,
              let deadline = member.revocationDeadline
        else { return [] }
        if ctx.now < deadline {
            ctx.schedule(.consumerRevocation(group: groupId, member: memberId), at: deadline)
            return []
        }
        return fence(memberId, topics: topics, &ctx)
    }
}
