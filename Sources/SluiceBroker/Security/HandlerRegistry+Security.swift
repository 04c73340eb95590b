import KafkaProtocol
import Logging

extension HandlerRegistry {
    /// SaslHandshake and SaslAuthenticate (every listener answers them; on non-SASL listeners with
    /// ILLEGAL_SASL_STATE), and SCRAM credential management: AlterUserScramCredentials forwarded
    /// to the controller, DescribeUserScramCredentials from the local image.
    mutating func registerSecurityHandlers(services: BrokerServices) {
        registerSaslHandlers(logger: services.logger)
        register(ForwardingHandler<AlterUserScramCredentialsRequest>(services: services))
        register(DescribeUserScramCredentialsHandler(services: services))
    }

    mutating func registerSaslHandlers(logger: Logger) {
        register(SaslHandshakeHandler())
        register(SaslAuthenticateHandler(logger: logger))
    }
}
