import KafkaProtocol
import NIOCore

/// AlterClientQuotas (49) on the controller listener, versions 0-1 (brokers forward it here once
/// they have authorized it): see ``Controller/alterClientQuotas(_:validateOnly:driver:done:)``.
/// One result per entry, in order, once committed; NOT_CONTROLLER on a node that is not the
/// active controller.
struct ControllerAlterClientQuotasHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: ControllerServices

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<AlterClientQuotasResponse>> {
        let alterations = request.entries.map { entry in
            Controller.QuotaAlteration(entity: entry.entity.map { ($0.entityType, $0.entityName) },
                                       ops: entry.ops.map { ($0.key, $0.remove ? nil : $0.value) })
        }
        let validateOnly = request.validateOnly
        return services.onController(context) { controller, driver, done in
            controller.alterClientQuotas(alterations, validateOnly: validateOnly, driver: driver) { errors in
                done(HandlerReply(AlterClientQuotasResponse.answering(request, errors: errors)))
            }
        }
    }
}

extension AlterClientQuotasResponse {
    /// One entry per request entry, with its entity as sent and its error (nil: none).
    static func answering(_ request: AlterClientQuotasRequest, errors: [ApiError?]) -> AlterClientQuotasResponse {
        var response = AlterClientQuotasResponse()
        response.entries = zip(request.entries, errors).map { entry, error in
            .init(errorCode: error?.code.rawValue ?? 0, errorMessage: error?.message,
                  entity: entry.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) })
        }
        return response
    }
}
