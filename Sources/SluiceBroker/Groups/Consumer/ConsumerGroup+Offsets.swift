import KafkaProtocol
import SluiceBase

/// Committed offsets of a consumer group: commits and fetches checked against member epochs.
extension ConsumerGroup {
    /// Why a commit is refused, or nil. Anyone may commit (epoch -1) to a group without members;
    /// otherwise the member must exist, commit with OffsetCommit v9+ and its current epoch
    /// (STALE_MEMBER_EPOCH for an older one, FENCED_MEMBER_EPOCH for a newer one), as in Kafka.
    func validateCommit(_ input: OffsetCommitInput) -> (ErrorCode, String?)? {
        if input.generationId < 0 && members.isEmpty { return nil }
        guard let member = members[input.memberId] else {
            return (.unknownMemberId, "Member \(input.memberId) is not a member of group \(groupId).")
        }
        if input.apiVersion < 9 {
            return (.unsupportedVersion, "OffsetCommit version 9 or above must be used by members using the consumer group protocol.")
        }
        return Self.checkEpoch(input.generationId, of: member)
    }

    /// Why an OffsetFetch naming a member is refused, or nil. Without a member (id null, epoch
    /// -1: admin tools) it is always accepted.
    func validateFetch(memberId: String?, memberEpoch: Int32) -> (ErrorCode, String?)? {
        guard let memberId else { return nil }
        if memberId.isEmpty && memberEpoch < 0 { return nil }
        guard let member = members[memberId] else {
            return (.unknownMemberId, "Member \(memberId) is not a member of group \(groupId).")
        }
        return Self.checkEpoch(memberEpoch, of: member)
    }

    private static func checkEpoch(_ epoch: Int32, of member: ConsumerGroupMember) -> (ErrorCode, String?)? {
        if epoch > member.memberEpoch {
            return (.fencedMemberEpoch, "The member epoch \(epoch) is newer than the coordinator's (\(member.memberEpoch)).")
        }
        if epoch < member.memberEpoch {
            return (.staleMemberEpoch, "The member epoch \(epoch) is older than the coordinator's (\(member.memberEpoch)).")
        }
        return nil
    }

    mutating func commit(_ request: RequestID, _ input: OffsetCommitInput, _ ctx: inout GroupContext) {
        if let (error, _) = validateCommit(input) {
            let errors = Dictionary(input.offsets.map { ($0.topicPartition, error) }, uniquingKeysWith: { a, _ in a })
            ctx.respond(request, .commit(PartitionErrors(errors)))
            return
        }
        writeCommit(request, input, &ctx)
    }

    /// Offsets past their retention, as Kafka decides it for consumer groups: offsets of topics
    /// no member subscribes to (all of them once the group is empty), counted from their commit.
    /// Commits being written never expire.
    func expiredOffsets(now: Int64, retentionMs: Int64) -> [TopicPartition] {
        let subscribed = subscribedTopicNames
        return offsets.compactMap { tp, value in
            if pendingCommits[tp] != nil || subscribed.contains(tp.topic) { return nil }
            let expired = value.expireTimestamp.map { now >= $0 } ?? (now - value.commitTimestamp >= retentionMs)
            return expired ? tp : nil
        }.sorted()
    }
}
