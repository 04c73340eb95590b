import KafkaProtocol
import NIOCore

/// SaslHandshake (17), versions 0-1: picks the connection's SASL mechanism.
///
/// - On a SASL listener, first (after ApiVersions if any): an enabled mechanism starts the
///   exchange; another gets UNSUPPORTED_SASL_MECHANISM with the enabled list, and the connection
///   closes after the answer (Kafka's behaviour).
/// - v0: the tokens that follow are raw length-prefixed frames; v1: SaslAuthenticate requests.
/// - On a non-SASL listener, or after authentication (no re-authentication, KIP-368):
///   ILLEGAL_SASL_STATE.
struct SaslHandshakeHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1

    func handle(_ request: SaslHandshakeRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<SaslHandshakeResponse>> {
        guard let session = context.session else {
            return reply(SaslHandshakeResponse(errorCode: ErrorCode.illegalSaslState.rawValue, mechanisms: []), context)
        }
        let code = session.handshake(mechanism: request.mechanism, version: context.apiVersion)
        return reply(SaslHandshakeResponse(errorCode: code.rawValue, mechanisms: session.saslMechanisms), context)
    }
}
