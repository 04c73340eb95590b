import KafkaProtocol
import NIOCore
import SluiceSecurity

/// A user's SCRAM credentials as DescribeUserScramCredentials shows them: mechanisms and
/// iteration counts (never salts or keys).
public struct ScramUserDescription: Sendable, Hashable {
    public var user: String
    public var credentials: [(mechanism: ScramMechanism, iterations: Int32)]

    public static func == (a: ScramUserDescription, b: ScramUserDescription) -> Bool {
        a.user == b.user && a.credentials.map(\.mechanism) == b.credentials.map(\.mechanism)
            && a.credentials.map(\.iterations) == b.credentials.map(\.iterations)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(user) }
}

/// One change of AlterUserScramCredentials.
public enum ScramCredentialChange: Sendable, Hashable {
    /// Sets (or replaces) the user's credential for `mechanism`.
    case upsert(user: String, mechanism: ScramMechanism, password: String, iterations: Int32 = 4096)
    case delete(user: String, mechanism: ScramMechanism)

    var user: String {
        switch self {
        case .upsert(let user, _, _, _), .delete(let user, _): user
        }
    }
}

extension KafkaAdmin {
    /// SCRAM users and their mechanisms (all users when `users` is nil or empty). An unknown user
    /// named explicitly is a RESOURCE_NOT_FOUND error.
    public func describeUserScramCredentials(users: [String]? = nil) async throws -> [ScramUserDescription] {
        let request = DescribeUserScramCredentialsRequest(users: users?.map { .init(name: $0) })
        let response = try await client.withRetries("DescribeUserScramCredentials") {
            try await client.anyConnection().send(request)
        }
        try ErrorCode(response.errorCode).check(resource: "SCRAM credentials", message: response.errorMessage)
        return try response.results.map { result in
            try ErrorCode(result.errorCode).check(resource: "user '\(result.user)'", message: result.errorMessage)
            let credentials = result.credentialInfos.compactMap { info in
                ScramMechanism(wireType: info.mechanism).map { (mechanism: $0, iterations: info.iterations) }
            }
            return ScramUserDescription(user: result.user, credentials: credentials)
        }.sorted { $0.user < $1.user }
    }

    /// Creates, replaces or deletes SCRAM credentials. The password never leaves the client: it
    /// sends a random salt and the salted password (PBKDF2), as Kafka's AdminClient does. Throws
    /// the first user's error (RESOURCE_NOT_FOUND for deleting a missing credential, ...).
    public func alterUserScramCredentials(_ changes: [ScramCredentialChange]) async throws {
        var request = AlterUserScramCredentialsRequest()
        for change in changes {
            switch change {
            case let .upsert(user, mechanism, password, iterations):
                let salt = (0..<32).map { _ in UInt8.random(in: 0...255) }
                let salted = mechanism.saltedPassword(password, salt: salt, iterations: Int(iterations))
                request.upsertions.append(.init(name: user, mechanism: mechanism.wireType, iterations: iterations,
                                                salt: ByteBuffer(bytes: salt), saltedPassword: ByteBuffer(bytes: salted)))
            case let .delete(user, mechanism):
                request.deletions.append(.init(name: user, mechanism: mechanism.wireType))
            }
        }
        let response = try await client.withRetries("AlterUserScramCredentials") {
            try await controllerConnection().send(request)
        }
        for result in response.results {
            try ErrorCode(result.errorCode).check(resource: "user '\(result.user)'", message: result.errorMessage)
        }
    }
}
