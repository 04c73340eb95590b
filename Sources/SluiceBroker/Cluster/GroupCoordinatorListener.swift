import SluiceStorage

/// Makes the group coordinator follow the leaderships of `__consumer_offsets`: a broker serves
/// the groups of the offsets partitions it leads (loading them when it becomes leader) and gives
/// them up when the leadership moves or the replica goes away.
final class GroupCoordinatorListener: PartitionStateListener, Sendable {
    private let groups: GroupCoordinator

    init(groups: GroupCoordinator) {
        self.groups = groups
    }

    func partitionsChanged(_ delta: LocalPartitionDelta) {
        // Consumer groups (KIP-848) resolve subscriptions against the topics: known before loading.
        groups.noteTopics(delta.image)
        guard let topic = delta.image.topics[OffsetsTopic.name] else {
            for case .stopReplica(let tp, _, _) in delta.changes where tp.topic == OffsetsTopic.name {
                groups.resigned(partition: tp.partition)
            }
            return
        }
        for change in delta.changes where change.topicPartition.topic == OffsetsTopic.name {
            switch change {
            case .becomeLeader(let p, let isNew) where isNew:
                groups.start(partitionCount: Int32(topic.partitions.count), leading: [p.registration.partition])
            case .becomeFollower(let p, let isNew) where isNew:
                groups.resigned(partition: p.registration.partition)
            case .stopReplica(let tp, _, _):
                groups.resigned(partition: tp.partition)
            default:
                break
            }
        }
    }
}
