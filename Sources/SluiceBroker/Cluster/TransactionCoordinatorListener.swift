import SluiceStorage

/// Makes the transaction coordinator follow the leaderships of `__transaction_state`: a broker
/// coordinates the transactional ids of the partitions it leads (loading them when it becomes
/// leader, with the partition's leader epoch as its coordinator epoch) and gives them up when the
/// leadership moves or the replica goes away.
final class TransactionCoordinatorListener: PartitionStateListener, Sendable {
    private let transactions: TransactionCoordinator

    init(transactions: TransactionCoordinator) {
        self.transactions = transactions
    }

    func partitionsChanged(_ delta: LocalPartitionDelta) {
        let topic = delta.image.topics[TransactionStateTopic.name]
        for change in delta.changes where change.topicPartition.topic == TransactionStateTopic.name {
            switch change {
            case .becomeLeader(let p, let isNew) where isNew:
                transactions.becameLeader(partition: p.registration.partition, coordinatorEpoch: p.registration.leaderEpoch,
                                          partitionCount: topic.map { Int32($0.partitions.count) })
            case .becomeFollower(let p, let isNew) where isNew:
                transactions.resigned(partition: p.registration.partition)
            case .stopReplica(let tp, _, _):
                transactions.resigned(partition: tp.partition)
            default:
                break
            }
        }
    }
}
