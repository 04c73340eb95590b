import KafkaProtocol
import NIOCore
import SluiceBase

/// How the broker hosts the transaction coordinator: `__transaction_state` created on demand,
/// its leaderships followed, the transaction handlers registered.
extension BrokerServices {
    /// At start-up: the coordinator follows the leaderships of `__transaction_state`'s partitions.
    func resumeTransactions() {
        cluster.addPartitionListener(TransactionCoordinatorListener(transactions: transactions))
    }

    /// `__transaction_state`, created first if it does not exist (as Kafka does on the first
    /// FindCoordinator for a transactional id), with `transaction.state.log.num.partitions`
    /// partitions, `transaction.state.log.replication.factor` capped at the unfenced brokers,
    /// `transaction.state.log.min.isr` capped at the replication factor (so that one broker can
    /// run transactions with the defaults), compaction. The future completes on `loop`.
    func ensureTransactionStateTopic(on loop: any EventLoop) -> EventLoopFuture<TopicImage> {
        if let topic = metadata.topic(TransactionStateTopic.name) { return loop.makeSucceededFuture(topic) }
        let config = transactions.config
        let replicationFactor = min(config.stateLogReplicationFactor, offsetsTopicBrokerCount)
        let creation = TopicCreation(
            name: TransactionStateTopic.name, numPartitions: config.stateLogPartitions, replicationFactor: replicationFactor,
            configs: TransactionStateTopic.topicConfigs(segmentBytes: config.stateLogSegmentBytes,
                                                        minInsyncReplicas: min(config.stateLogMinIsr, Int32(replicationFactor))))
        return metadata.createTopic(creation, on: loop).map { _ in () }.flatMapError { error in
            if let error = error as? ApiError, error.code == .topicAlreadyExists { return loop.makeSucceededVoidFuture() }
            return loop.makeFailedFuture(error)
        }.flatMapThrowing { [metadata] in
            guard let topic = metadata.topic(TransactionStateTopic.name) else {
                throw ApiError(.coordinatorNotAvailable, "\(TransactionStateTopic.name) could not be created")
            }
            return topic
        }
    }
}

extension HandlerRegistry {
    /// The transaction coordinator's APIs and the partition leaders' WriteTxnMarkers.
    mutating func registerTransactionHandlers(services: BrokerServices) {
        register(AddPartitionsToTxnHandler(services: services))
        register(AddOffsetsToTxnHandler(services: services))
        register(EndTxnHandler(services: services))
        register(WriteTxnMarkersHandler(services: services))
        register(TxnOffsetCommitHandler(services: services))
    }
}
