import KafkaProtocol
import SluiceSecurity
import NIOCore

/// InitProducerId (key 22), versions 0-5.
///
/// - v0-1: a new producer id with epoch 0 for an idempotent producer (no transactional id).
///   v2+: flexible. v3+: the producer may pass its current id and epoch; as Kafka does for
///   idempotent producers, it gets a fresh id with epoch 0 (its sequence numbers restart).
///   Giving only one of id and epoch is INVALID_REQUEST. v4-5: new error codes only.
/// - Producer ids are reserved in blocks persisted in the cluster metadata before use, so an id
///   is never handed out twice, even across restarts. When this broker's block is used up, the
///   request waits (on a future) for the next block from the controller; concurrent requests
///   share that one AllocateProducerIds. No block (no controller within 30 s): KAFKA_STORAGE_ERROR.
/// - Transactions are not supported: a transactional id gets INVALID_REQUEST (clients cannot
///   reach this point anyway: they need FindCoordinator, which is not advertised).
struct InitProducerIdHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...5
    let services: BrokerServices

    func handle(_ request: InitProducerIdRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<InitProducerIdResponse>> {
        // Transactional: WRITE on the transactional id. Idempotent: IDEMPOTENT_WRITE on the cluster,
        // or WRITE on some topic (Kafka's authorizeByResourceType).
        if let transactionalId = request.transactionalId, !transactionalId.isEmpty,
           !services.authorize(context, .write, .transactionalId(transactionalId)) {
            return reply(InitProducerIdResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue), context)
        }
        if request.transactionalId?.isEmpty ?? true, !services.authorize(context, .idempotentWrite, .cluster),
           !services.authorizeByResourceType(context, .write, .topic) {
            return reply(InitProducerIdResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue), context)
        }
        if let transactionalId = request.transactionalId, !transactionalId.isEmpty {
            services.logger.info("InitProducerId for transactional id \(transactionalId): transactions are not supported")
            return reply(InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue), context)
        }
        if (request.producerId == -1) != (request.producerEpoch == -1) {
            return reply(InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue), context)
        }
        return services.metadata.allocateProducerId(on: context.eventLoop).map { id in
            HandlerReply(InitProducerIdResponse(errorCode: 0, producerId: id, producerEpoch: 0))
        }.recover { [services] error in
            services.logger.error("allocating a producer id failed: \(error)")
            return HandlerReply(InitProducerIdResponse(errorCode: ErrorCode.kafkaStorageError.rawValue))
        }
    }
}
