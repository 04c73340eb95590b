import Crypto
import Foundation

/// The server side of a SCRAM exchange (RFC 5802 §5, as Kafka's `ScramSaslServer`):
///
///     client-first  n,,n=alice,r=<cnonce>
///     server-first  r=<cnonce><snonce>,s=<salt>,i=4096
///     client-final  c=biws,r=<cnonce><snonce>,p=<proof>
///     server-final  v=<server signature>
///
/// Credentials come from `lookup` (the metadata image). An unknown user gets a server-first with
/// a salt derived from its name, exactly like a real one, and fails at the proof: the client
/// cannot tell an unknown user from a wrong password. Channel binding and extensions such as
/// `tokenauth` (delegation tokens) are refused.
public struct ScramServerSession: Sendable {
    public let mechanism: ScramMechanism
    private let lookup: @Sendable (String) -> ScramCredential?
    private let serverNonce: String?
    private var state: State = .awaitingClientFirst

    private enum State: Sendable {
        case awaitingClientFirst
        case awaitingClientFinal(user: String, credential: ScramCredential, known: Bool, clientFirstBare: String,
                                 serverFirst: String, nonce: String, gs2Header: String)
        case finished
    }

    /// `serverNonce` is for tests (RFC 7677's example); by default each exchange draws one.
    public init(mechanism: ScramMechanism, serverNonce: String? = nil, lookup: @escaping @Sendable (String) -> ScramCredential?) {
        self.mechanism = mechanism
        self.serverNonce = serverNonce
        self.lookup = lookup
    }

    public mutating func evaluate(_ token: [UInt8]) -> SaslServerStep {
        let current = state
        state = .finished
        switch current {
        case .awaitingClientFirst:
            return clientFirst(token)
        case let .awaitingClientFinal(user, credential, known, bare, serverFirst, nonce, gs2Header):
            return clientFinal(token, user: user, credential: credential, known: known, clientFirstBare: bare,
                               serverFirst: serverFirst, nonce: nonce, gs2Header: gs2Header)
        case .finished:
            return .failure(reason: "SCRAM exchange already finished")
        }
    }

    private mutating func clientFirst(_ token: [UInt8]) -> SaslServerStep {
        guard let message = String(validatingUTF8Bytes: token) else { return .failure(reason: "client-first is not UTF-8") }
        // gs2-header: cbind flag, authzid, then the bare message.
        let pieces = message.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3 else { return .failure(reason: "malformed client-first message") }
        guard pieces[0] == "n" || pieces[0] == "y" else {
            return .failure(reason: "SCRAM channel binding is not supported (gs2 flag '\(pieces[0])')")
        }
        var authzid: String?
        if !pieces[1].isEmpty {
            guard pieces[1].hasPrefix("a="), let name = ScramName.decode(pieces[1].dropFirst(2)) else {
                return .failure(reason: "malformed authzid in client-first")
            }
            authzid = name
        }
        let bare = String(pieces[2])
        let attributes = bare.split(separator: ",", omittingEmptySubsequences: false)
        guard attributes.count >= 2, attributes[0].hasPrefix("n="), attributes[1].hasPrefix("r="),
              let user = ScramName.decode(attributes[0].dropFirst(2)), !user.isEmpty else {
            return .failure(reason: "malformed client-first message (expected n=user,r=nonce)")
        }
        let clientNonce = String(attributes[1].dropFirst(2))
        guard !clientNonce.isEmpty, !clientNonce.contains(",") else { return .failure(reason: "empty client nonce") }
        for extensionAttribute in attributes.dropFirst(2) {
            return .failure(reason: "SCRAM extension '\(extensionAttribute.prefix(32))' is not supported (delegation tokens are not)")
        }
        if let authzid, authzid != user {
            return .failure(reason: "authorization id '\(authzid)' is not the user '\(user)'")
        }
        let found = lookup(user)
        let credential = found ?? Self.decoy(for: user, mechanism: mechanism)
        let nonce = clientNonce + (serverNonce ?? ScramNonce.make())
        let serverFirst = "r=\(nonce),s=\(Base64.encode(credential.salt)),i=\(credential.iterations)"
        state = .awaitingClientFinal(user: user, credential: credential, known: found != nil, clientFirstBare: bare,
                                     serverFirst: serverFirst, nonce: nonce,
                                     gs2Header: String(pieces[0]) + "," + String(pieces[1]) + ",")
        return .challenge(Array(serverFirst.utf8))
    }

    private func clientFinal(_ token: [UInt8], user: String, credential: ScramCredential, known: Bool, clientFirstBare: String,
                             serverFirst: String, nonce: String, gs2Header: String) -> SaslServerStep {
        guard let message = String(validatingUTF8Bytes: token) else { return .failure(reason: "client-final is not UTF-8") }
        guard let proofRange = message.range(of: ",p=", options: .backwards) else {
            return .failure(reason: "client-final without a proof")
        }
        let withoutProof = String(message[..<proofRange.lowerBound])
        let attributes = withoutProof.split(separator: ",", omittingEmptySubsequences: false)
        guard attributes.count >= 2, attributes[0].hasPrefix("c="), attributes[1].hasPrefix("r="),
              let proof = Base64.decode(message[proofRange.upperBound...]) else {
            return .failure(reason: "malformed client-final message")
        }
        guard attributes.count == 2 else { return .failure(reason: "SCRAM extensions in client-final are not supported") }
        // The client echoes the combined nonce. librdkafka before 2.6.1 (Debian 12's kcat has 2.0.2)
        // prepends its own part once more; Kafka 3.8.1 to 3.9 accept that as a suffix match, and
        // so does Sluice (the echo of the server's nonce is what RFC 5802 checks for).
        guard attributes[1].dropFirst(2).hasSuffix(nonce) else { return .failure(reason: "client-final nonce does not match") }
        guard Base64.decode(attributes[0].dropFirst(2)) == Array(gs2Header.utf8) else {
            return .failure(reason: "channel binding data does not match the gs2 header")
        }
        let authMessage = Array((clientFirstBare + "," + serverFirst + "," + withoutProof).utf8)
        let clientSignature = mechanism.hmac(key: credential.storedKey, authMessage)
        guard proof.count == clientSignature.count else { return .failure(reason: "invalid SCRAM proof for user '\(user)'") }
        let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
        let valid = constantTimeEquals(mechanism.hash(clientKey), credential.storedKey)
        guard valid, known else {
            return .failure(reason: known ? "invalid SCRAM proof for user '\(user)'" : "unknown SCRAM user '\(user)' (\(mechanism.rawValue))")
        }
        let serverSignature = mechanism.hmac(key: credential.serverKey, authMessage)
        return .success(user: user, final: Array("v=\(Base64.encode(serverSignature))".utf8))
    }

    /// A stable, fake credential for an unknown user: same salt on every attempt, as a real user's.
    private static let decoySecret = SymmetricKey(size: .bits256)

    static func decoy(for user: String, mechanism: ScramMechanism) -> ScramCredential {
        let salt = Array(HMAC<SHA256>.authenticationCode(for: Array(("salt:" + user).utf8), using: decoySecret))
        let random = ScramNonce.randomBytes(count: mechanism.hashLength)
        return ScramCredential(salt: salt, storedKey: random, serverKey: random, iterations: 4096)
    }
}

/// SCRAM's `saslname`: `,` and `=` escaped as `=2C` and `=3D`.
public enum ScramName {
    public static func encode(_ name: String) -> String {
        name.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
    }

    static func decode(_ text: Substring) -> String? {
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            if char == "=" {
                let code = text[text.index(after: index)...].prefix(2)
                switch code {
                case "2C": result.append(",")
                case "3D": result.append("=")
                default: return nil
                }
                index = text.index(index, offsetBy: 3)
            } else {
                result.append(char)
                index = text.index(after: index)
            }
        }
        return result
    }
}

extension String {
    init?(validatingUTF8Bytes bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        self = text
    }
}
