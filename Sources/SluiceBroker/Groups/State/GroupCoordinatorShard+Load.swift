import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// Rebuilding a partition's groups from its log when this broker becomes its leader.
extension GroupCoordinatorShard {
    /// The shard the records describe (the partition's log from its start, in order): the last
    /// value of each key wins and a tombstone removes the key, as compaction would. Groups with
    /// members come back stable, with their generation and assignments; their members must
    /// heartbeat within their session timeout from `now`.
    static func load(partition: Int32, incarnation: UInt64, config: GroupCoordinatorConfig,
                     records: [CoordinatorRecord], now: Int64,
                     topics: ConsumerTopics = .none) -> (GroupCoordinatorShard, [GroupCoordinatorAction]) {
        var offsets: [String: [TopicPartition: OffsetCommitValue]] = [:]
        var metadata: [String: GroupMetadataValue] = [:]
        var consumer: [String: ConsumerGroupReplay] = [:]
        for record in records {
            switch record {
            case let .offsetCommit(key, value):
                let tp = TopicPartition(key.topic, key.partition)
                if let value {
                    offsets[key.group, default: [:]][tp] = value
                } else {
                    offsets[key.group]?.removeValue(forKey: tp)
                }
            case let .groupMetadata(key, value):
                metadata[key.group] = value
            case let .consumerGroup(record):
                consumer[record.groupId, default: ConsumerGroupReplay()].apply(record)
            }
        }

        var shard = GroupCoordinatorShard(partition: partition, incarnation: incarnation, config: config)
        shard.topics = topics
        var ctx = shard.context(now: now)
        // A group whose consumer group metadata survived is a consumer group (a conversion wrote
        // tombstones for the records of the kind it left).
        let consumerIds = Set(consumer.filter { $0.value.epoch != nil }.keys)
        for groupId in consumerIds.sorted() {
            shard.nextGroupIncarnation += 1
            var group = consumer[groupId]!.group(groupId, incarnation: shard.nextGroupIncarnation, now: now, &ctx)
            group.offsets = offsets[groupId] ?? [:]
            shard.consumerGroups[groupId] = group
        }
        let groupIds = Set(metadata.keys).union(offsets.filter { !$0.value.isEmpty }.keys).subtracting(consumerIds)
        for groupId in groupIds.sorted() {
            var group = shard.createGroup(groupId, now: now)
            group.offsets = offsets[groupId] ?? [:]
            if let value = metadata[groupId] {
                group.restore(from: value, now: now, &ctx)
            }
            shard.groups[groupId] = group
        }
        shard.scheduleExpiration(&ctx)
        return (shard, ctx.actions)
    }
}

extension Group {
    /// Takes the state a group metadata record holds.
    mutating func restore(from value: GroupMetadataValue, now: Int64, _ ctx: inout GroupContext) {
        protocolType = value.protocolType.isEmpty ? nil : value.protocolType
        generationId = value.generation
        protocolName = value.protocolName
        leaderId = value.leader
        // A stable group needs its protocol; a record without one cannot be stable.
        for m in value.members where value.protocolName != nil {
            var member = GroupMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                clientHost: m.clientHost, rebalanceTimeoutMs: m.rebalanceTimeoutMs, sessionTimeoutMs: m.sessionTimeoutMs,
                protocolType: value.protocolType,
                protocols: [GroupProtocol(name: value.protocolName ?? "", metadata: m.subscription)])
            member.assignment = m.assignment
            members[m.memberId] = member
            if let instanceId = m.groupInstanceId { staticMembers[instanceId] = m.memberId }
        }
        if members.isEmpty {
            leaderId = nil
            state = .empty
        } else {
            if leaderId.map({ members[$0] == nil }) ?? true { leaderId = members.keys.first }
            state = .stable
        }
        stateTimestamp = value.currentStateTimestamp
        for memberId in members.keys {
            renewSession(memberId, &ctx)
        }
    }
}
