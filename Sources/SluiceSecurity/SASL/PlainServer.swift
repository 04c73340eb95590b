/// SASL PLAIN (RFC 4616) on the server: one token, `authzid NUL authcid NUL password`, checked
/// against the users of the listener's JAAS line (`user_<name>="<password>"`), as Kafka's
/// `PlainServerCallbackHandler` does. An authorization id other than the user's own is refused.
public struct PlainServer: Sendable {
    private let users: [String: String]
    private var done = false

    public init(users: [String: String]) {
        self.users = users
    }

    public mutating func evaluate(_ token: [UInt8]) -> SaslServerStep {
        guard !done else { return .failure(reason: "PLAIN takes a single token") }
        done = true
        let parts = token.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(reason: "malformed PLAIN token (expected authzid NUL user NUL password)") }
        let authzid = String(decoding: parts[0], as: UTF8.self)
        let user = String(decoding: parts[1], as: UTF8.self)
        let password = Array(parts[2])
        guard !user.isEmpty else { return .failure(reason: "PLAIN token without a user name") }
        guard authzid.isEmpty || authzid == user else {
            return .failure(reason: "PLAIN authorization id '\(authzid)' is not the user '\(user)'")
        }
        // Compare against something of the same shape even for unknown users, so that the answer
        // takes as long either way.
        let expected = users[user].map { Array($0.utf8) }
        let matches = constantTimeEquals(expected ?? password.map { $0 ^ 0xFF }, password)
        guard expected != nil, matches else { return .failure(reason: "invalid PLAIN credentials for user '\(user)'") }
        return .success(user: user, final: [])
    }
}

/// The client side of PLAIN: the one token.
public func plainClientToken(username: String, password: String) -> [UInt8] {
    [0] + Array(username.utf8) + [0] + Array(password.utf8)
}
