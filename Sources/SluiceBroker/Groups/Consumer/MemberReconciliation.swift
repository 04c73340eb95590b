import KafkaProtocol

/// Moves one member towards its target assignment, one safe step per heartbeat (KIP-848's
/// reconciliation, the job of Kafka's `CurrentAssignmentBuilder`). A pure function of the member,
/// the group's target, who owns which partition, and what the member says it owns.
///
/// The rule that keeps a partition from being owned twice: a member gives up partitions at its
/// current epoch (`unrevokedPartitions`) and only moves to the new epoch once its heartbeat shows
/// they are gone; it is handed a partition only when no other member holds it
/// (`unreleasedPartitions` while it waits).
struct MemberReconciliation {
    /// The epoch of the group's target assignment.
    var targetEpoch: Int32
    /// The member's partitions in that target.
    var target: TopicPartitionSet
    /// Whether another member owns the partition now.
    var isOwnedByAnother: (KafkaUUID, Int32) -> Bool
    /// What the member's heartbeat says it owns; nil when the heartbeat did not say.
    var owned: TopicPartitionSet?

    /// The member after one step (the same member when it cannot move).
    func reconcile(_ member: ConsumerGroupMember) -> ConsumerGroupMember {
        switch member.state {
        case .stable:
            return member.memberEpoch == targetEpoch ? member : next(member, epoch: member.memberEpoch)
        case .unrevokedPartitions:
            // Not before the member shows it no longer holds what it had to give up.
            if stillOwnsAny(member.partitionsPendingRevocation) { return member }
            return next(member, epoch: member.memberEpoch + 1)
        case .unreleasedPartitions:
            return next(member, epoch: member.memberEpoch)
        }
    }

    private func stillOwnsAny(_ partitions: TopicPartitionSet) -> Bool {
        guard let owned else { return true }
        return !owned.intersection(partitions).isEmpty
    }

    /// Compares what the member holds with its target: partitions to keep, to give up, to take.
    private func next(_ member: ConsumerGroupMember, epoch: Int32) -> ConsumerGroupMember {
        let held = member.assignedPartitions
        let keep = held.intersection(target)
        let revoke = held.subtracting(keep)
        var take = TopicPartitionSet()
        var waitsForRelease = false
        for (id, p) in target.subtracting(keep).sortedPairs {
            if isOwnedByAnother(id, p) {
                waitsForRelease = true
            } else {
                take.insert(id, p)
            }
        }
        var updated = member
        if !revoke.isEmpty && stillOwnsAny(revoke) {
            // Give up first, at the current epoch; new partitions come after.
            updated.state = .unrevokedPartitions
            updated.setEpoch(epoch)
            updated.assignedPartitions = keep
            updated.partitionsPendingRevocation = revoke
            return updated
        }
        updated.state = waitsForRelease ? .unreleasedPartitions : .stable
        updated.setEpoch(targetEpoch)
        updated.assignedPartitions = keep.union(take)
        updated.partitionsPendingRevocation = .empty
        return updated
    }
}

extension ConsumerGroupMember {
    /// A new epoch; the one it replaces becomes the previous epoch.
    mutating func setEpoch(_ epoch: Int32) {
        guard epoch != memberEpoch else { return }
        previousMemberEpoch = memberEpoch
        memberEpoch = epoch
    }
}
