import Foundation
import Logging
import KafkaProtocol
import NIOCore

/// SaslAuthenticate (36), versions 0-2: one token of the SASL exchange started by SaslHandshake
/// v1. A challenge or the final server message comes back in `auth_bytes`.
///
/// A failure answers SASL_AUTHENTICATION_FAILED with a generic message (it never says whether
/// the user exists), after `connection.failed.authentication.delay.ms` (a scheduled answer: no
/// thread waits), and the connection closes once it is written. `session_lifetime_ms` (v1+) is 0:
/// sessions are not re-authenticated (KIP-368 is not implemented).
struct SaslAuthenticateHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func failureMessage(_ mechanism: String) -> String {
        "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)"
    }

    let logger: Logger

    func handle(_ request: SaslAuthenticateRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<SaslAuthenticateResponse>> {
        var response = SaslAuthenticateResponse()
        response.errorMessage = nil
        guard let session = context.session else {
            response.errorCode = ErrorCode.illegalSaslState.rawValue
            response.errorMessage = "SaslAuthenticate on a listener without SASL"
            return reply(response, context)
        }
        switch session.authenticate(Array(request.authBytes.readableBytesView)) {
        case .challenge(let bytes):
            response.authBytes = ByteBuffer(bytes: bytes)
            return reply(response, context)
        case let .success(principal, final):
            logger.debug("authenticated \(principal) on \(session.listenerName) from \(context.clientAddress)")
            response.authBytes = ByteBuffer(bytes: final)
            return reply(response, context)
        case let .failure(mechanism, reason):
            logger.info("failed authentication from \(context.clientAddress) on \(session.listenerName): \(reason)")
            response.errorCode = ErrorCode.saslAuthenticationFailed.rawValue
            response.errorMessage = Self.failureMessage(mechanism)
            return context.eventLoop.scheduleTask(in: session.failureDelay) { HandlerReply(response) }.futureResult
        case .illegalState:
            response.errorCode = ErrorCode.illegalSaslState.rawValue
            response.errorMessage = "Unexpected SaslAuthenticate: no SASL exchange is in progress on this connection"
            return reply(response, context)
        }
    }
}
