import KafkaProtocol
import SluiceBase
import SluiceStorage

/// `offsets.retention.minutes`: the periodic removal of old offsets and of groups left with none.
extension GroupCoordinatorShard {
    mutating func scheduleExpiration(_ ctx: inout GroupContext) {
        let deadline = ctx.now + config.offsetsRetentionCheckIntervalMs
        expirationDeadline = deadline
        ctx.schedule(.offsetExpiration, at: deadline)
    }

    mutating func expirationTimerFired(_ ctx: inout GroupContext) {
        if let deadline = expirationDeadline, ctx.now < deadline {
            ctx.schedule(.offsetExpiration, at: deadline)
            return
        }
        expireOffsets(&ctx)
        scheduleExpiration(&ctx)
    }

    /// Writes tombstones for expired offsets (removed from memory once written), and removes
    /// empty groups (classic or consumer) that are left with no offsets.
    mutating func expireOffsets(_ ctx: inout GroupContext) {
        var records: [CoordinatorRecord] = []
        var expired: [String: (incarnation: UInt64, partitions: [TopicPartition])] = [:]
        for groupId in groups.keys.sorted() {
            let group = groups[groupId]!
            let partitions = group.expiredOffsets(now: ctx.now, retentionMs: config.offsetsRetentionMs)
            let diesNow = group.state == .empty && group.pendingCommits.isEmpty && group.pendingMembers.isEmpty
                && group.offsets.count == partitions.count
            if diesNow {
                records += group.offsetTombstones(partitions)
                records.append(.groupMetadata(GroupMetadataKey(group: groupId), nil))
                groups.removeValue(forKey: groupId)
            } else if !partitions.isEmpty {
                records += group.offsetTombstones(partitions)
                expired[groupId] = (group.incarnation, partitions)
            }
        }
        for groupId in consumerGroups.keys.sorted() {
            let group = consumerGroups[groupId]!
            let partitions = group.expiredOffsets(now: ctx.now, retentionMs: config.offsetsRetentionMs)
            if group.members.isEmpty && group.pendingCommits.isEmpty && group.offsets.count == partitions.count {
                // Empty and left without offsets: the group goes, as Kafka deletes it.
                records += group.offsetTombstones(partitions) + group.deletionTombstones
                consumerGroups.removeValue(forKey: groupId)
            } else if !partitions.isEmpty {
                records += group.offsetTombstones(partitions)
                expired[groupId] = (group.incarnation, partitions)
            }
        }
        if !records.isEmpty {
            ctx.append(records, for: .expiration(expired))
        }
    }
}
