import KafkaProtocol
import NIOCore
import SluiceBase

/// The partition leader's check before it appends a transactional batch (KIP-890 part 1,
/// Kafka's `transaction.partition.verification.enable`): the producer's transaction must be
/// ongoing with this partition added, as its coordinator knows it. Without it a producer could
/// write to a partition its coordinator would never send a marker to, and the transaction would
/// hold that partition's last stable offset for ever.
extension BrokerServices {
    /// NONE when `tp` is in the ongoing transaction of `transactionalId` with this producer id
    /// and epoch. Asks the coordinator in place when it is this broker, otherwise sends it
    /// AddPartitionsToTxn v4 with `verify_only`. Coordinator errors become NOT_ENOUGH_REPLICAS
    /// (retriable, so the producer tries again), as Kafka maps them; a partition not in the
    /// transaction INVALID_TXN_STATE; a stale epoch the coordinator's fencing error.
    func verifyTransaction(_ transactionalId: String, producerId: Int64, producerEpoch: Int16, partition tp: TopicPartition,
                           on loop: any EventLoop) -> EventLoopFuture<ErrorCode> {
        let input = AddPartitionsInput(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                                       partitions: [tp], verifyOnly: true)
        if transactions.status(of: transactionalId) != .notCoordinator {
            return transactions.request({ .addPartitions($0, input) }, on: loop).map { Self.produceError($0.partitionErrors[tp] ?? $0.error) }
        }
        let image = cluster.view.image
        guard let topic = image.topics[TransactionStateTopic.name] else { return loop.makeSucceededFuture(.notEnoughReplicas) }
        let partition = TransactionStateTopic.partition(for: transactionalId, partitionCount: Int32(topic.partitions.count))
        guard let leader = image.partition(TopicPartition(TransactionStateTopic.name, partition))?.leader, leader >= 0,
              leader != nodeId, let address = image.brokers[leader]?.clientEndpoint?.address else {
            return loop.makeSucceededFuture(.notEnoughReplicas)
        }
        var txn = AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction()
        txn.transactionalId = transactionalId
        txn.producerId = producerId
        txn.producerEpoch = producerEpoch
        txn.verifyOnly = true
        txn.topics = [.init(name: tp.topic, partitions: [tp.partition])]
        var request = AddPartitionsToTxnRequest()
        request.transactions = [txn]
        return cluster.pool.send(request, version: 4, to: address, lane: .other("txn-verify"), timeout: .seconds(30))
            .map { response -> ErrorCode in
                if response.errorCode != 0 { return Self.produceError(ErrorCode(response.errorCode)) }
                let code = response.resultsByTransaction.first?.topicResults.first?.resultsByPartition.first?.partitionErrorCode
                return Self.produceError(code.map { ErrorCode(rawValue: $0) } ?? .unknownServerError)
            }
            .recover { _ in .notEnoughReplicas }
            .hop(to: loop)
    }

    static func produceError(_ error: ErrorCode) -> ErrorCode {
        switch error {
        case .notCoordinator, .coordinatorNotAvailable, .coordinatorLoadInProgress, .concurrentTransactions:
            return .notEnoughReplicas
        case .invalidProducerIdMapping:
            return .invalidTxnState
        default:
            return error
        }
    }
}
