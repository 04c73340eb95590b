import Crypto

/// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka uses them: the mechanism ids of
/// AlterUserScramCredentials / DescribeUserScramCredentials (1 and 2), Kafka's iteration bounds,
/// and the key derivations as pure functions over swift-crypto's HMAC and SHA-2.
public enum ScramMechanism: String, Sendable, CaseIterable, Hashable, Comparable {
    case sha256 = "SCRAM-SHA-256"
    case sha512 = "SCRAM-SHA-512"

    /// Kafka's `ScramMechanism` type byte on the wire.
    public var wireType: Int8 {
        switch self {
        case .sha256: 1
        case .sha512: 2
        }
    }

    public init?(wireType: Int8) {
        switch wireType {
        case 1: self = .sha256
        case 2: self = .sha512
        default: return nil
        }
    }

    /// Kafka accepts 4096 to 16384 iterations (`ScramMechanism.minIterations/maxIterations`).
    public static let iterationRange: ClosedRange<Int32> = 4096...16384

    /// The length of a hash (and of stored and server keys).
    public var hashLength: Int { self == .sha256 ? 32 : 64 }

    public static func < (a: ScramMechanism, b: ScramMechanism) -> Bool { a.wireType < b.wireType }

    // MARK: Primitives

    /// HMAC(key, message).
    public func hmac(key: some Sequence<UInt8>, _ message: some Sequence<UInt8>) -> [UInt8] {
        let key = SymmetricKey(data: Array(key))
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: Array(message), using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: Array(message), using: key))
        }
    }

    /// H(message).
    public func hash(_ message: some Sequence<UInt8>) -> [UInt8] {
        switch self {
        case .sha256: return Array(SHA256.hash(data: Array(message)))
        case .sha512: return Array(SHA512.hash(data: Array(message)))
        }
    }

    /// Hi(password, salt, i) of RFC 5802: PBKDF2 with this mechanism's HMAC, one block.
    public func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: Array(password.utf8))
        func mac(_ message: [UInt8]) -> [UInt8] {
            switch self {
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
            }
        }
        var u = mac(salt + [0, 0, 0, 1])
        var result = u
        if iterations > 1 {
            for _ in 2...iterations {
                u = mac(u)
                for index in result.indices { result[index] ^= u[index] }
            }
        }
        return result
    }

    /// The credential a server keeps: stored key H(HMAC(salted, "Client Key")) and server key
    /// HMAC(salted, "Server Key"), never the password.
    public func credential(saltedPassword: [UInt8], salt: [UInt8], iterations: Int32) -> ScramCredential {
        let clientKey = hmac(key: saltedPassword, Array("Client Key".utf8))
        return ScramCredential(salt: salt, storedKey: hash(clientKey), serverKey: hmac(key: saltedPassword, Array("Server Key".utf8)),
                               iterations: iterations)
    }

    /// The credential for `password` with a fresh random salt.
    public func credential(password: String, iterations: Int32 = 4096, salt: [UInt8]? = nil) -> ScramCredential {
        let salt = salt ?? ScramNonce.randomBytes(count: 32)
        return credential(saltedPassword: saltedPassword(password, salt: salt, iterations: Int(iterations)), salt: salt,
                          iterations: iterations)
    }
}

/// What a server stores for a SCRAM user (Kafka's `ScramCredential`, `UserScramCredentialRecord`).
public struct ScramCredential: Sendable, Hashable {
    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]
    public var iterations: Int32

    public init(salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8], iterations: Int32) {
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
        self.iterations = iterations
    }
}

/// Random nonces and salts.
enum ScramNonce {
    static func randomBytes(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A nonce of 32 letters and digits. RFC 5802 allows any printable character but ',';
    /// Kafka's brokers use letters and digits, and older clients (librdkafka 2.0) mishandle
    /// base64's '=' and '/' in the server's part.
    static func make() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// Constant-time comparison, so that a wrong proof takes as long as a nearly right one.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
