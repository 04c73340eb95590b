import KafkaProtocol
import Logging
import SluiceSecurity

extension HandlerRegistry {
    /// SaslHandshake and SaslAuthenticate (every listener answers them; on non-SASL listeners with
    /// ILLEGAL_SASL_STATE), and SCRAM credential management: AlterUserScramCredentials forwarded
    /// to the controller, DescribeUserScramCredentials from the local image; the ACL APIs (``CreateAclsHandler``).
    mutating func registerSecurityHandlers(services: BrokerServices) {
        registerSaslHandlers(logger: services.logger)
        register(ForwardingHandler<AlterUserScramCredentialsRequest>(services: services, requires: .alter) { request, error in
            let users = request.deletions.map(\.name) + request.upsertions.map(\.name)
            var seen: Set<String> = []
            return AlterUserScramCredentialsResponse(results: users.filter { seen.insert($0).inserted }.map {
                .init(user: $0, errorCode: error.code.rawValue, errorMessage: error.message)
            })
        })
        register(DescribeUserScramCredentialsHandler(services: services))
        register(CreateAclsHandler(services: services))
        register(DescribeAclsHandler(services: services))
        register(DeleteAclsHandler(services: services))
        register(DescribeClientQuotasHandler(services: services))
        register(AlterClientQuotasHandler(services: services))
    }

    mutating func registerSaslHandlers(logger: Logger) {
        register(SaslHandshakeHandler())
        register(SaslAuthenticateHandler(logger: logger))
    }
}
