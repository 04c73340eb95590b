import NIOSSL
import SluiceSecurity

/// How the client secures its connections: Kafka's `security.protocol`, the TLS context (the CA
/// to trust, an optional client certificate, hostname verification) and SASL credentials.
///
///     let security = try ClientSecurity(securityProtocol: .saslSSL,
///                                       tls: TLSClientSettings(trustStore: PEMTrustStore(source: .file("ca.pem"))),
///                                       sasl: SaslCredentials(mechanism: "SCRAM-SHA-512", username: "alice", password: "..."))
///     var configuration = ClientConfiguration(bootstrapServers: servers)
///     configuration.security = security
public struct ClientSecurity: Sendable {
    public var securityProtocol: SecurityProtocol
    /// Built once (it reads the certificate files), shared by every connection.
    public var tlsContext: NIOSSLContext?
    public var sasl: SaslCredentials?

    public static let plaintext = ClientSecurity(securityProtocol: .plaintext, tlsContext: nil, sasl: nil)

    /// Builds the TLS context from `tls` (reads its files) when the protocol uses TLS.
    public init(securityProtocol: SecurityProtocol, tls: TLSClientSettings? = nil, sasl: SaslCredentials? = nil) throws {
        self.securityProtocol = securityProtocol
        if securityProtocol.usesTLS {
            do {
                tlsContext = try (tls ?? TLSClientSettings()).makeContext()
            } catch {
                throw KafkaClientError(.invalidArgument, "\(error)")
            }
        }
        if securityProtocol.usesSASL {
            guard let sasl else {
                throw KafkaClientError(.invalidArgument, "security.protocol=\(securityProtocol.rawValue) needs sasl.mechanism, sasl.username and sasl.password")
            }
            guard SaslMechanismName.supported.contains(sasl.mechanism.uppercased()) else {
                throw KafkaClientError(.invalidArgument, "sasl.mechanism=\(sasl.mechanism) is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
            }
            self.sasl = sasl
        }
    }

    init(securityProtocol: SecurityProtocol, tlsContext: NIOSSLContext?, sasl: SaslCredentials?) {
        self.securityProtocol = securityProtocol
        self.tlsContext = tlsContext
        self.sasl = sasl
    }
}

/// A SASL user: mechanism (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`), name and password.
public struct SaslCredentials: Sendable, Hashable {
    public var mechanism: String
    public var username: String
    public var password: String

    public init(mechanism: String, username: String, password: String) {
        self.mechanism = mechanism.uppercased()
        self.username = username
        self.password = password
    }
}
