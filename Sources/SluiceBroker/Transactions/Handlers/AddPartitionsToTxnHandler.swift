import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceSecurity

/// AddPartitionsToTxn (key 24), versions 0-5.
///
/// - v0-3 (clients): one transaction, its producer id and epoch, the partitions it will write.
///   Answered once the transaction's new state is in `__transaction_state`; every partition gets
///   the same error. v2: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before). v3: flexible.
/// - v4-5 (brokers, KIP-890): several transactions; `verify_only` asks whether the partitions
///   are already in the producer's ongoing transaction (what a partition leader asks before it
///   appends a transactional batch), answered per partition (INVALID_TXN_STATE when not).
///   v5: TRANSACTION_ABORTABLE, which Sluice does not answer.
/// - Authorization: v0-3 WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
///   and on each topic (TOPIC_AUTHORIZATION_FAILED; the others OPERATION_NOT_ATTEMPTED);
///   v4+ CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED). Partitions that do not exist get
///   UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED.
struct AddPartitionsToTxnHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...5
    let services: BrokerServices

    typealias TopicResult = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult

    func handle(_ request: AddPartitionsToTxnRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<AddPartitionsToTxnResponse>> {
        let version = context.apiVersion
        if version >= 4 {
            guard services.authorizeClusterAction(context) else {
                return reply(AddPartitionsToTxnResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue), context)
            }
            let futures = request.transactions.map { txn in
                add(txn.transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch, topics: txn.topics,
                    verifyOnly: txn.verifyOnly, version: version, context: context, checkTopics: false)
                    .map { AddPartitionsToTxnResponse.AddPartitionsToTxnResult(transactionalId: txn.transactionalId, topicResults: $0) }
            }
            return EventLoopFuture.whenAllSucceed(futures, on: context.eventLoop).map {
                HandlerReply(AddPartitionsToTxnResponse(resultsByTransaction: $0))
            }
        }
        return add(request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId,
                   epoch: request.v3AndBelowProducerEpoch, topics: request.v3AndBelowTopics, verifyOnly: false,
                   version: version, context: context, checkTopics: true)
            .map { HandlerReply(AddPartitionsToTxnResponse(resultsByTopicV3AndBelow: $0)) }
    }

    private func add(_ transactionalId: String, producerId: Int64, epoch: Int16,
                     topics: [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic], verifyOnly: Bool, version: Int16,
                     context: RequestContext, checkTopics: Bool) -> EventLoopFuture<[TopicResult]> {
        let asked = topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0) } }
        func all(_ error: ErrorCode) -> [TopicResult] {
            Self.results(topics) { _ in error }
        }
        if checkTopics && !services.authorize(context, .write, .transactionalId(transactionalId)) {
            return context.eventLoop.makeSucceededFuture(all(.transactionalIdAuthorizationFailed))
        }
        var refused: [TopicPartition: ErrorCode] = [:]
        for tp in asked {
            if checkTopics && !services.authorize(context, .write, topic: tp.topic) {
                refused[tp] = .topicAuthorizationFailed
            } else if !services.partitionExists(tp) {
                refused[tp] = .unknownTopicOrPartition
            }
        }
        if !refused.isEmpty {
            let answers = refused
            return context.eventLoop.makeSucceededFuture(Self.results(topics) { answers[$0] ?? .operationNotAttempted })
        }
        let input = AddPartitionsInput(transactionalId: transactionalId, producerId: producerId, producerEpoch: epoch,
                                       partitions: asked, verifyOnly: verifyOnly)
        return services.transactions.request({ .addPartitions($0, input) }, on: context.eventLoop).map { result in
            Self.results(topics) { tp in
                TransactionErrors.forVersion(result.partitionErrors[tp] ?? result.error, version, producerFencedSince: 2)
            }
        }
    }

    static func results(_ topics: [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic],
                        _ error: (TopicPartition) -> ErrorCode) -> [TopicResult] {
        topics.map { topic in
            TopicResult(name: topic.name, resultsByPartition: topic.partitions.map {
                .init(partitionIndex: $0, partitionErrorCode: error(TopicPartition(topic.name, $0)).rawValue)
            })
        }
    }
}
