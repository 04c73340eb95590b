import KafkaProtocol
import NIOCore
import SluiceSecurity

/// EndTxn (key 26), versions 0-4.
///
/// - Commits or aborts the producer's transaction: answered once PrepareCommit/PrepareAbort is
///   in `__transaction_state`; the coordinator then writes the markers and records the
///   completion (meanwhile the producer's next InitProducerId or AddPartitionsToTxn gets
///   CONCURRENT_TRANSACTIONS, which clients retry). A retried EndTxn of a completed transaction
///   is answered NONE; ending a transaction that is not open, INVALID_TXN_STATE.
///   v2: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before). v3: flexible. v4: TRANSACTION_ABORTABLE,
///   not answered. v5 (KIP-890 part 2, an epoch bump per transaction) is not advertised.
/// - Authorization: WRITE on the transactional id.
struct EndTxnHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    func handle(_ request: EndTxnRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<EndTxnResponse>> {
        guard services.authorize(context, .write, .transactionalId(request.transactionalId)) else {
            return reply(EndTxnResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue), context)
        }
        let version = context.apiVersion
        let input = EndTxnInput(transactionalId: request.transactionalId, producerId: request.producerId,
                                producerEpoch: request.producerEpoch, commit: request.committed)
        return services.transactions.request({ .endTxn($0, input) }, on: context.eventLoop).map { result in
            HandlerReply(EndTxnResponse(errorCode: TransactionErrors.forVersion(result.error, version,
                                                                                producerFencedSince: 2).rawValue))
        }
    }
}
