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
/// - With a transactional id (sent to the id's transaction coordinator; NOT_COORDINATOR
///   elsewhere): `transaction_timeout_ms` must be within 1...`transaction.max.timeout.ms`
///   (INVALID_TRANSACTION_TIMEOUT). A new id gets a new producer id with epoch 0; a known one
///   the same producer id with the next epoch, which fences the previous instance (its requests
///   then get PRODUCER_FENCED, INVALID_PRODUCER_EPOCH before v4); an open transaction of the
///   previous instance is aborted first (CONCURRENT_TRANSACTIONS until it is, which clients
///   retry). v3+ naming a producer id and epoch other than the current ones: PRODUCER_FENCED.
///   A fresh producer id is allocated for every such request and used only when needed (a new
///   id, or its epochs used up): the state machine does no I/O.
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
        if (request.producerId == -1) != (request.producerEpoch == -1) {
            return reply(InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue), context)
        }
        if let transactionalId = request.transactionalId, !transactionalId.isEmpty {
            return initTransactional(request, transactionalId: transactionalId, context: context)
        }
        return services.metadata.allocateProducerId(on: context.eventLoop).map { id in
            HandlerReply(InitProducerIdResponse(errorCode: 0, producerId: id, producerEpoch: 0))
        }.recover { [services] error in
            services.logger.error("allocating a producer id failed: \(error)")
            return HandlerReply(InitProducerIdResponse(errorCode: ErrorCode.kafkaStorageError.rawValue))
        }
    }

    private func initTransactional(_ request: InitProducerIdRequest, transactionalId: String,
                                   context: RequestContext) -> EventLoopFuture<HandlerReply<InitProducerIdResponse>> {
        let transactions = services.transactions
        let status = transactions.status(of: transactionalId)
        guard status == .noError else { return reply(InitProducerIdResponse(errorCode: status.rawValue), context) }
        guard request.transactionTimeoutMs > 0, request.transactionTimeoutMs <= transactions.config.maxTimeoutMs else {
            return reply(InitProducerIdResponse(errorCode: ErrorCode.invalidTransactionTimeout.rawValue), context)
        }
        let version = context.apiVersion
        let loop = context.eventLoop
        return services.metadata.allocateProducerId(on: loop).flatMap { fresh in
            let input = InitTransactionInput(transactionalId: transactionalId, timeoutMs: request.transactionTimeoutMs,
                                             producerId: version >= 3 ? request.producerId : -1,
                                             producerEpoch: version >= 3 ? request.producerEpoch : -1, freshProducerId: fresh)
            return transactions.request({ .initProducerId($0, input) }, on: loop).map { result in
                let error = TransactionErrors.forVersion(result.error, version, producerFencedSince: 4)
                return HandlerReply(InitProducerIdResponse(errorCode: error.rawValue, producerId: result.producerId,
                                                           producerEpoch: result.producerEpoch))
            }
        }.recover { [services] error in
            services.logger.error("allocating a producer id failed: \(error)")
            return HandlerReply(InitProducerIdResponse(errorCode: ErrorCode.kafkaStorageError.rawValue))
        }
    }
}
