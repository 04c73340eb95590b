import Foundation

/// The client side of a SCRAM exchange (RFC 5802 §3): builds client-first and client-final and
/// checks the server's signature, so that a client also knows it talked to a broker that holds
/// the credential.
public struct ScramClientSession: Sendable {
    public let mechanism: ScramMechanism
    private let username: String
    private let password: String
    private let clientNonce: String
    private var clientFirstBare = ""
    private var expectedServerSignature: [UInt8]?

    public init(mechanism: ScramMechanism, username: String, password: String, nonce: String? = nil) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
        self.clientNonce = nonce ?? ScramNonce.make()
    }

    /// `n,,n=<user>,r=<nonce>`.
    public mutating func clientFirst() -> [UInt8] {
        clientFirstBare = "n=\(ScramName.encode(username)),r=\(clientNonce)"
        return Array(("n,," + clientFirstBare).utf8)
    }

    /// Answers the server-first message with client-final (carrying the proof).
    public mutating func clientFinal(serverFirst token: [UInt8]) throws -> [UInt8] {
        guard let serverFirst = String(validatingUTF8Bytes: token) else { throw SaslClientError("server-first is not UTF-8") }
        var nonce: String?
        var salt: [UInt8]?
        var iterations: Int?
        for attribute in serverFirst.split(separator: ",") {
            let value = attribute.dropFirst(2)
            switch attribute.prefix(2) {
            case "r=": nonce = String(value)
            case "s=": salt = Base64.decode(value)
            case "i=": iterations = Int(value)
            case "e=": throw SaslClientError("the server refused: \(value)")
            default: continue
            }
        }
        guard let nonce, let salt, let iterations else { throw SaslClientError("malformed server-first message '\(serverFirst.prefix(80))'") }
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw SaslClientError("the server's nonce does not extend ours")
        }
        guard iterations >= 1, iterations <= 1_000_000 else { throw SaslClientError("unreasonable iteration count \(iterations)") }
        let withoutProof = "c=biws,r=\(nonce)"
        let salted = mechanism.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = mechanism.hmac(key: salted, Array("Client Key".utf8))
        let storedKey = mechanism.hash(clientKey)
        let authMessage = Array((clientFirstBare + "," + serverFirst + "," + withoutProof).utf8)
        let clientSignature = mechanism.hmac(key: storedKey, authMessage)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = mechanism.hmac(key: salted, Array("Server Key".utf8))
        expectedServerSignature = mechanism.hmac(key: serverKey, authMessage)
        return Array((withoutProof + ",p=" + Base64.encode(proof)).utf8)
    }

    /// Checks server-final (`v=<signature>`).
    public func verify(serverFinal token: [UInt8]) throws {
        guard let text = String(validatingUTF8Bytes: token) else { throw SaslClientError("server-final is not UTF-8") }
        if text.hasPrefix("e=") { throw SaslClientError("the server refused: \(text.dropFirst(2))") }
        guard text.hasPrefix("v="), let signature = Base64.decode(text.dropFirst(2).prefix { $0 != "," }),
              let expected = expectedServerSignature, constantTimeEquals(signature, expected) else {
            throw SaslClientError("the server's SCRAM signature is wrong: it does not hold this user's credential")
        }
    }
}

/// A SASL exchange that failed on the client's side (a malformed or forged server message).
public struct SaslClientError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
