import SluiceSecurity

/// The authorization check handed to handlers that do not hold ``BrokerServices`` (the group
/// handlers): the same ``BrokerServices/authorize(_:_:_:)``, or allow-all for tests that build a
/// handler alone.
struct RequestAuthorization: Sendable {
    let check: @Sendable (RequestContext, AclOperation, AclResource) -> Bool
    let operations: @Sendable (RequestContext, AclResource) -> Int32

    func callAsFunction(_ context: RequestContext, _ operation: AclOperation, _ resource: AclResource) -> Bool {
        check(context, operation, resource)
    }

    /// No authorizer: everything allowed, every supported operation authorized.
    static let allowAll = RequestAuthorization(check: { _, _, _ in true },
                                               operations: { StandardAuthorizer.allOperations(of: $1.type) })
}

extension BrokerServices {
    var requestAuthorization: RequestAuthorization {
        RequestAuthorization(check: { [self] in authorize($0, $1, $2) },
                             operations: { [self] in authorizedOperations($0, $1) })
    }
}
