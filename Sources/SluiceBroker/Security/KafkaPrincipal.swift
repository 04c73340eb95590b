/// Who a connection is: Kafka's `KafkaPrincipal` (`User:alice`). Every request handler reads its
/// connection's principal from ``RequestContext/principal`` — what authorization will check.
///
/// - PLAINTEXT listeners, and TLS without a client certificate: `User:ANONYMOUS`.
/// - TLS with a client certificate: `User:` + the subject in RFC 2253 after
///   `ssl.principal.mapping.rules` (`User:CN=dave`).
/// - SASL: `User:` + the authenticated user name.
public struct KafkaPrincipal: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    public var name: String

    public init(type: String = "User", name: String) {
        self.type = type
        self.name = name
    }

    public static let anonymous = KafkaPrincipal(name: "ANONYMOUS")

    public var description: String { "\(type):\(name)" }
}
