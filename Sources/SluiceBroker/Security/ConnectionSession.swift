import KafkaProtocol
import NIOCore
import SluiceSecurity

/// One connection's security: its listener, its principal, the SASL exchange of a SASL listener,
/// and whether it must close once its answers are out (a failed authentication).
///
/// Confined to the connection's event loop (a `NIOLoopBoundBox`): the connection handler and the
/// SASL handlers, which run on that loop in request order, are its only users.
final class ConnectionSession: Sendable {
    let listenerName: String
    let securityProtocol: SecurityProtocol
    /// How long a failed authentication waits before its answer.
    let failureDelay: TimeAmount
    private let state: NIOLoopBoundBox<State>

    private struct State {
        var principal: KafkaPrincipal = .anonymous
        var sasl: SaslAuthenticator?
        var closeRequested = false
        /// A client quota's throttle decided while serving a request (see ``requestMute(_:)``).
        var muteRequestedMs: Int64 = 0
        /// Why (for the log): a failed authentication unless said otherwise.
        var closeReason = "the connection is closing after a failed authentication"
    }

    init(listenerName: String, securityProtocol: SecurityProtocol, sasl: SaslAuthenticator?, failureDelay: TimeAmount,
         eventLoop: any EventLoop) {
        self.listenerName = listenerName
        self.securityProtocol = securityProtocol
        self.failureDelay = failureDelay
        state = NIOLoopBoundBox(State(sasl: sasl), eventLoop: eventLoop)
    }

    /// The principal requests run as: ANONYMOUS, the TLS client's, or SASL's once complete.
    var principal: KafkaPrincipal { state.value.principal }

    var isSaslListener: Bool { state.value.sasl != nil }

    /// The enabled mechanisms (for SaslHandshake answers).
    var saslMechanisms: [String] { state.value.sasl?.enabledMechanisms ?? [] }

    /// Set once the connection must close after the answers already admitted.
    var closeRequested: Bool { state.value.closeRequested }

    func requestClose() { state.value.closeRequested = true }

    /// Asks the connection to read nothing more for `ms` (a client over its quota), from the
    /// moment the request being dispatched returns to the connection handler — before any frame
    /// already read behind it is served, as Kafka, which reads one request at a time, would.
    func requestMute(_ ms: Int64) { state.value.muteRequestedMs = max(state.value.muteRequestedMs, ms) }

    /// The mute asked for since the last call (0: none), and forgets it.
    func takeMuteRequest() -> Int64 {
        defer { state.value.muteRequestedMs = 0 }
        return state.value.muteRequestedMs
    }

    /// Closes the connection once the answers already admitted are written; later requests are
    /// not served.
    func requestClose(reason: String) {
        state.value.closeRequested = true
        state.value.closeReason = reason
    }

    /// A TLS client certificate's principal (before any request is read).
    func setCertificatePrincipal(_ principal: KafkaPrincipal) { state.value.principal = principal }

    func admit(_ key: ApiKey?) -> SaslAuthenticator.Admission {
        guard !state.value.closeRequested else { return .close(state.value.closeReason) }
        return state.value.sasl?.admit(key) ?? .serve
    }

    var expectsRawToken: Bool { state.value.sasl?.expectsRawToken ?? false }

    func handshake(mechanism: String, version: Int16) -> ErrorCode {
        guard state.value.sasl != nil else { return .illegalSaslState }
        let code = state.value.sasl!.handshake(mechanism: mechanism, version: version)
        if code != .noError && code != .illegalSaslState { state.value.closeRequested = true }
        if code == .illegalSaslState, case .failed? = state.value.sasl?.state { state.value.closeRequested = true }
        return code
    }

    func authenticate(_ token: [UInt8]) -> SaslAuthenticator.TokenOutcome {
        guard state.value.sasl != nil else { return .illegalState }
        let outcome = state.value.sasl!.authenticate(token)
        switch outcome {
        case .success(let principal, _):
            state.value.principal = principal
        case .failure:
            state.value.closeRequested = true
        case .illegalState:
            if case .failed? = state.value.sasl?.state { state.value.closeRequested = true }
        case .challenge:
            break
        }
        return outcome
    }
}
