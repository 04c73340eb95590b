/// The client side of the SASL mechanisms Sluice speaks, driven token by token by a connection
/// (SaslAuthenticate round trips): `start()` gives the first token, `next(challenge)` each
/// following one (nil when the exchange is complete on the client's side).
public struct SaslClientMechanism: Sendable {
    public let name: String
    private var state: State

    private enum State: Sendable {
        case plain(username: String, password: String)
        case scram(ScramClientSession, step: Int)
    }

    /// Nil when `mechanism` is not one Sluice speaks (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`).
    public init?(mechanism: String, username: String, password: String) {
        let upper = mechanism.uppercased()
        name = upper
        if upper == SaslMechanismName.plain {
            state = .plain(username: username, password: password)
        } else if let scram = ScramMechanism(rawValue: upper) {
            state = .scram(ScramClientSession(mechanism: scram, username: username, password: password), step: 0)
        } else {
            return nil
        }
    }

    /// The first token.
    public mutating func start() -> [UInt8] {
        switch state {
        case let .plain(username, password):
            return plainClientToken(username: username, password: password)
        case .scram(var session, _):
            let token = session.clientFirst()
            state = .scram(session, step: 1)
            return token
        }
    }

    /// The answer to the server's token; nil when nothing more is to be sent (the last server
    /// token was checked).
    public mutating func next(_ challenge: [UInt8]) throws -> [UInt8]? {
        switch state {
        case .plain:
            return nil
        case .scram(var session, let step):
            if step == 1 {
                let token = try session.clientFinal(serverFirst: challenge)
                state = .scram(session, step: 2)
                return token
            }
            try session.verify(serverFinal: challenge)
            state = .scram(session, step: 3)
            return nil
        }
    }
}
