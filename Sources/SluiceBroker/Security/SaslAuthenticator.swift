import KafkaProtocol
import SluiceSecurity

/// The SASL state of one connection on a SASL listener, as Kafka's `SaslServerAuthenticator`
/// keeps it (sans-IO: the connection and the SASL handlers drive it):
///
///     awaiting handshake ──SaslHandshake(enabled mechanism)──▶ awaiting tokens
///           │ ApiVersions                                        │ SaslAuthenticate: challenge…
///           ▼ (stays)                                            ▼
///     anything else: close                              complete(User:alice) │ failed: answer, close
///
/// Before completion only ApiVersions, SaslHandshake and SaslAuthenticate pass (anything else
/// closes the connection, as in Kafka); a SaslHandshake v0 means the tokens that follow come
/// as raw length-prefixed frames instead of SaslAuthenticate requests.
struct SaslAuthenticator: Sendable {
    enum State: Sendable {
        case awaitingHandshake
        case awaitingToken(SaslServerSession)
        case complete(KafkaPrincipal)
        case failed
    }

    private(set) var state: State = .awaitingHandshake
    /// Set by a SaslHandshake v0: the next frames are raw tokens.
    private(set) var rawTokens = false
    let enabledMechanisms: [String]
    private let makeSession: @Sendable (String) -> SaslServerSession?

    init(enabledMechanisms: [String], makeSession: @escaping @Sendable (String) -> SaslServerSession?) {
        self.enabledMechanisms = enabledMechanisms
        self.makeSession = makeSession
    }

    enum Admission: Equatable {
        case serve
        case close(String)
    }

    /// Whether a request with `key` may be served now.
    func admit(_ key: ApiKey?) -> Admission {
        switch state {
        case .complete:
            return .serve
        case .failed:
            return .close("authentication failed")
        case .awaitingHandshake:
            if key == .apiVersions || key == .saslHandshake { return .serve }
            return .close("\(key.map { "\($0)" } ?? "an unknown request") before SASL authentication")
        case .awaitingToken:
            if key == .saslAuthenticate && !rawTokens { return .serve }
            return .close("\(key.map { "\($0)" } ?? "an unknown request") while a SASL exchange is in progress")
        }
    }

    var isAuthenticated: Bool {
        if case .complete = state { return true }
        return false
    }

    var expectsRawToken: Bool {
        if case .awaitingToken = state { return rawTokens }
        return false
    }

    /// SaslHandshake: the error code and the enabled mechanisms to answer with.
    mutating func handshake(mechanism: String, version: Int16) -> ErrorCode {
        switch state {
        case .awaitingHandshake:
            guard enabledMechanisms.contains(mechanism), let session = makeSession(mechanism) else {
                state = .failed
                return .unsupportedSaslMechanism
            }
            state = .awaitingToken(session)
            rawTokens = version == 0
            return .noError
        case .complete:
            // Re-authentication (KIP-368) is not supported.
            return .illegalSaslState
        case .awaitingToken, .failed:
            state = .failed
            return .illegalSaslState
        }
    }

    enum TokenOutcome: Equatable {
        case challenge([UInt8])
        case success(KafkaPrincipal, final: [UInt8])
        /// Refused (the reason is for the log); the connection closes after the answer.
        case failure(mechanism: String, reason: String)
        /// Not expecting a token now.
        case illegalState
    }

    /// One token of the exchange (a SaslAuthenticate, or a raw frame after a v0 handshake).
    mutating func authenticate(_ token: [UInt8]) -> TokenOutcome {
        switch state {
        case .awaitingToken(var session):
            let step = session.evaluate(token)
            switch step {
            case .challenge(let bytes):
                state = .awaitingToken(session)
                return .challenge(bytes)
            case let .success(user, final):
                let principal = KafkaPrincipal(name: user)
                state = .complete(principal)
                rawTokens = false
                return .success(principal, final: final)
            case .failure(let reason):
                state = .failed
                return .failure(mechanism: session.mechanism, reason: reason)
            }
        case .complete:
            return .illegalState
        case .awaitingHandshake, .failed:
            state = .failed
            return .illegalState
        }
    }
}
