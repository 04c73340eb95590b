import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceSecurity

/// AddOffsetsToTxn (key 25), versions 0-4.
///
/// - Adds the group's `__consumer_offsets` partition to the transaction, so that its markers
///   reach the group coordinator (which then makes the transaction's offset commits visible or
///   drops them); the client then sends TxnOffsetCommit to the group coordinator.
///   v2: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before). v3: flexible. v4: TRANSACTION_ABORTABLE,
///   which Sluice does not answer.
/// - Authorization: WRITE on the transactional id, READ on the group.
struct AddOffsetsToTxnHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    func handle(_ request: AddOffsetsToTxnRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<AddOffsetsToTxnResponse>> {
        @Sendable func answer(_ error: ErrorCode) -> HandlerReply<AddOffsetsToTxnResponse> {
            HandlerReply(AddOffsetsToTxnResponse(errorCode: error.rawValue))
        }
        guard services.authorize(context, .write, .transactionalId(request.transactionalId)) else {
            return context.eventLoop.makeSucceededFuture(answer(.transactionalIdAuthorizationFailed))
        }
        guard services.authorize(context, .read, .group(request.groupId)) else {
            return context.eventLoop.makeSucceededFuture(answer(.groupAuthorizationFailed))
        }
        let version = context.apiVersion
        let services = services
        return services.ensureOffsetsTopic(on: context.eventLoop).flatMap { topic in
            let partition = OffsetsTopic.partition(for: request.groupId, partitionCount: Int32(topic.partitions.count))
            let input = AddPartitionsInput(transactionalId: request.transactionalId, producerId: request.producerId,
                                           producerEpoch: request.producerEpoch,
                                           partitions: [TopicPartition(OffsetsTopic.name, partition)])
            return services.transactions.request({ .addPartitions($0, input) }, on: context.eventLoop).map {
                answer(TransactionErrors.forVersion($0.error, version, producerFencedSince: 2))
            }
        }.recover { _ in answer(.coordinatorNotAvailable) }
    }
}
