/// What a server-side SASL mechanism answers to one client token.
public enum SaslServerStep: Sendable, Equatable {
    /// Send this challenge and wait for the client's next token.
    case challenge([UInt8])
    /// Authenticated as `user`; `final` is the last server message (SCRAM's server signature,
    /// empty for PLAIN).
    case success(user: String, final: [UInt8])
    /// Refused. `reason` is for the broker's log only: the client gets a generic message, so that
    /// it cannot tell a wrong password from an unknown user.
    case failure(reason: String)
}

/// The server side of one SASL exchange, by mechanism: a value that takes the client's tokens
/// in order (sans-IO; the connection decides what to send and when).
public enum SaslServerSession: Sendable {
    case plain(PlainServer)
    case scram(ScramServerSession)

    public var mechanism: String {
        switch self {
        case .plain: "PLAIN"
        case .scram(let session): session.mechanism.rawValue
        }
    }

    public mutating func evaluate(_ token: [UInt8]) -> SaslServerStep {
        switch self {
        case .plain(var server):
            let step = server.evaluate(token)
            self = .plain(server)
            return step
        case .scram(var session):
            let step = session.evaluate(token)
            self = .scram(session)
            return step
        }
    }
}

/// Kafka's mechanism names that Sluice implements, in Kafka's spelling.
public enum SaslMechanismName {
    public static let plain = "PLAIN"
    public static let supported = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
}
