/// Kafka's `security.protocol` values: whether a connection is encrypted (TLS) and whether it
/// authenticates with SASL.
public enum SecurityProtocol: String, Sendable, CaseIterable, Hashable {
    case plaintext = "PLAINTEXT"
    case ssl = "SSL"
    case saslPlaintext = "SASL_PLAINTEXT"
    case saslSSL = "SASL_SSL"

    /// Parses Kafka's name, in any case (`sasl_ssl` works, as in Kafka's clients).
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }

    public var usesTLS: Bool { self == .ssl || self == .saslSSL }
    public var usesSASL: Bool { self == .saslPlaintext || self == .saslSSL }
}
