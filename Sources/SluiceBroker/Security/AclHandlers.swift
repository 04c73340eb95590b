import KafkaProtocol
import NIOCore
import SluiceSecurity

// The ACL APIs on the broker listener, as Kafka's `AclApis`: without an authorizer each answers
// SECURITY_DISABLED; creating or deleting needs ALTER on the cluster, describing DESCRIBE on the
// cluster (CLUSTER_AUTHORIZATION_FAILED otherwise). Creations and deletions are forwarded to the
// active controller (``ControllerCreateAclsHandler``), which commits them to the metadata log;
// every broker's image then holds them. Descriptions come from this broker's image.

private let securityDisabled = ApiError(.securityDisabled, "No Authorizer is configured.")

/// CreateAcls (30), versions 0-3 (v1+: pattern types; v2+: flexible).
struct CreateAclsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: BrokerServices

    func handle(_ request: CreateAclsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreateAclsResponse>> {
        let refusal: ApiError? = services.config.authorizer == nil ? securityDisabled
            : services.authorize(context, .alter, .cluster) ? nil : .clusterAuthorizationFailed
        if let refusal {
            var response = CreateAclsResponse()
            response.results = request.creations.map { _ in
                .init(errorCode: refusal.code.rawValue, errorMessage: refusal.message)
            }
            return reply(response, context)
        }
        return ForwardingHandler<CreateAclsRequest>(services: services).handle(request, context: context)
    }
}

/// DeleteAcls (31), versions 0-3 (v1+: pattern types; v2+: flexible).
struct DeleteAclsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: BrokerServices

    func handle(_ request: DeleteAclsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteAclsResponse>> {
        let refusal: ApiError? = services.config.authorizer == nil ? securityDisabled
            : services.authorize(context, .alter, .cluster) ? nil : .clusterAuthorizationFailed
        if let refusal {
            var response = DeleteAclsResponse()
            response.filterResults = request.filters.map { _ in
                .init(errorCode: refusal.code.rawValue, errorMessage: refusal.message, matchingAcls: [])
            }
            return reply(response, context)
        }
        return ForwardingHandler<DeleteAclsRequest>(services: services).handle(request, context: context)
    }
}

/// DescribeAcls (29), versions 0-3 (v1+: pattern types, MATCH and ANY filters; v2+: flexible).
struct DescribeAclsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: BrokerServices

    func handle(_ request: DescribeAclsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeAclsResponse>> {
        var response = DescribeAclsResponse()
        let filter = AclBindingFilter(request)
        let refusal: ApiError? = services.config.authorizer == nil ? securityDisabled
            : !services.authorize(context, .describe, .cluster) ? .clusterAuthorizationFailed
            : filter.invalidReason.map { ApiError(.invalidRequest, $0) }
        if let refusal {
            response.errorCode = refusal.code.rawValue
            response.errorMessage = refusal.message
            return reply(response, context)
        }
        var bindings = services.cluster.view.image.acls.bindings(matching: filter)
        // Version 0 knows only literal patterns.
        if context.apiVersion == 0 { bindings = bindings.filter { $0.pattern.patternType == .literal } }
        response.errorMessage = nil
        response.resources = DescribeAclsResponse.resources(bindings)
        return reply(response, context)
    }
}
