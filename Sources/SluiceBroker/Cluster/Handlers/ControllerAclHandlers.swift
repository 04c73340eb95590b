import KafkaProtocol
import NIOCore
import SluiceSecurity

/// CreateAcls (30) on the controller listener, versions 0-3 (brokers forward it here once they
/// have authorized it): see ``Controller/createAcls(_:driver:done:)``. One result per creation,
/// in order, once committed; NOT_CONTROLLER on a node that is not the active controller.
struct ControllerCreateAclsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: ControllerServices

    func handle(_ request: CreateAclsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreateAclsResponse>> {
        let bindings = request.creations.map { AclBinding($0) }
        return services.onController(context) { controller, driver, done in
            controller.createAcls(bindings, driver: driver) { errors in
                var response = CreateAclsResponse()
                response.results = errors.map { .init(errorCode: $0?.code.rawValue ?? 0, errorMessage: $0?.message) }
                done(HandlerReply(response))
            }
        }
    }
}

/// DeleteAcls (31) on the controller listener, versions 0-3: see
/// ``Controller/deleteAcls(_:driver:done:)``. One result per filter, with the ACLs it removed.
struct ControllerDeleteAclsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: ControllerServices

    func handle(_ request: DeleteAclsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteAclsResponse>> {
        let filters = request.filters.map { AclBindingFilter($0) }
        return services.onController(context) { controller, driver, done in
            controller.deleteAcls(filters, driver: driver) { results in
                var response = DeleteAclsResponse()
                response.filterResults = results.map { result in
                    switch result {
                    case .success(let bindings):
                        return .init(errorCode: 0, errorMessage: nil, matchingAcls: bindings.map { DeleteAclsResponse.DeleteAclsMatchingAcl($0) })
                    case .failure(let error):
                        return .init(errorCode: error.code.rawValue, errorMessage: error.message, matchingAcls: [])
                    }
                }
                done(HandlerReply(response))
            }
        }
    }
}
