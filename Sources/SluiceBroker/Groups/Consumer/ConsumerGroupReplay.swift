import KafkaProtocol

/// A consumer group rebuilt from its records while a partition's log is replayed: the last value
/// of each key wins and a tombstone removes it, as compaction would. Members come back with
/// their epochs and partitions; they must heartbeat within their session from the load on.
struct ConsumerGroupReplay {
    var epoch: Int32?
    var partitionMetadata: ConsumerGroupPartitionMetadataValue?
    var targetEpoch: Int32?
    /// Members in the order their metadata first appeared.
    var memberOrder: [String] = []
    var memberMetadata: [String: ConsumerGroupMemberMetadataValue] = [:]
    var targets: [String: TopicPartitionSet] = [:]
    var current: [String: ConsumerGroupCurrentMemberAssignmentValue] = [:]

    mutating func apply(_ record: ConsumerGroupRecord) {
        switch record {
        case let .groupMetadata(_, value):
            epoch = value?.epoch
        case let .partitionMetadata(_, value):
            partitionMetadata = value
        case let .targetAssignmentMetadata(_, value):
            targetEpoch = value?.assignmentEpoch
        case let .memberMetadata(_, member, value):
            if let value {
                if memberMetadata[member] == nil { memberOrder.append(member) }
                memberMetadata[member] = value
            } else {
                memberMetadata.removeValue(forKey: member)
                memberOrder.removeAll { $0 == member }
            }
        case let .targetAssignmentMember(_, member, value):
            targets[member] = value?.partitions
        case let .currentAssignment(_, member, value):
            current[member] = value
        }
    }

    /// The group the records describe, with its members' timers armed.
    func group(_ groupId: String, incarnation: UInt64, now: Int64, _ ctx: inout GroupContext) -> ConsumerGroup {
        var group = ConsumerGroup(groupId: groupId, incarnation: incarnation, now: now)
        group.groupEpoch = epoch ?? 0
        group.assignmentEpoch = min(targetEpoch ?? 0, group.groupEpoch)
        for topic in partitionMetadata?.topics ?? [] {
            group.subscriptionMetadata[topic.topicName] = topic
        }
        for memberId in memberOrder {
            guard let metadata = memberMetadata[memberId] else { continue }
            var member = ConsumerGroupMember(memberId: memberId)
            member.apply(metadata)
            if let assignment = current[memberId] { member.apply(assignment) }
            if member.state == .unrevokedPartitions {
                member.revocationDeadline = now + Int64(max(member.rebalanceTimeoutMs, ctx.config.consumerSessionTimeoutMs))
                ctx.schedule(.consumerRevocation(group: groupId, member: memberId), at: member.revocationDeadline!)
            }
            group.members[memberId] = member
            if let instanceId = member.instanceId { group.staticMembers[instanceId] = memberId }
            group.updateOwnership(from: nil, to: member)
            if let target = targets[memberId] { group.targetAssignment[memberId] = target }
            group.renewSession(memberId, &ctx)
        }
        return group
    }
}
