import Foundation
import SluiceSecurity

extension ClientSecurity {
    /// Reads Kafka's client property names (as `kcat -F`, librdkafka and the Java tools' `--command-config`
    /// files write them):
    ///
    /// | property | meaning |
    /// | --- | --- |
    /// | `security.protocol` | PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL |
    /// | `sasl.mechanism` (`sasl.mechanisms`) | PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 |
    /// | `sasl.username`, `sasl.password` | the SASL user (librdkafka's names) |
    /// | `sasl.jaas.config` | the same as a JAAS line, `... required username="u" password="p";` (Java's) |
    /// | `ssl.ca.location`, `ssl.truststore.location` | PEM CA certificates to trust (default: the system's) |
    /// | `ssl.certificate.location`, `ssl.key.location`, `ssl.key.password` | a client certificate (mTLS) |
    /// | `ssl.keystore.location` (`ssl.keystore.type=PEM`) | key and certificate in one PEM file (Java's) |
    /// | `ssl.endpoint.identification.algorithm` | `https` (default): check the broker's name; `none` or empty: do not |
    ///
    /// Other keys are ignored (a client properties file holds producer and consumer settings too).
    public init(properties: [String: String]) throws {
        func value(_ key: String) -> String? {
            properties[key].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let protocolName = value("security.protocol") ?? "PLAINTEXT"
        guard let proto = SecurityProtocol(name: protocolName) else {
            throw KafkaClientError(.invalidArgument, "security.protocol=\(protocolName) (expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)")
        }
        for key in ["ssl.truststore.type", "ssl.keystore.type"] {
            if let type = value(key), type.uppercased() != "PEM" {
                throw KafkaClientError(.invalidArgument, "\(key)=\(type): Sluice reads PEM files only")
            }
        }
        var tls = TLSClientSettings()
        if let ca = value("ssl.ca.location") ?? value("ssl.truststore.location") {
            tls.trustStore = PEMTrustStore(source: .file(ca))
        }
        let keyPassword = properties["ssl.key.password"]
        if let certificate = value("ssl.certificate.location") {
            guard let key = value("ssl.key.location") else {
                throw KafkaClientError(.invalidArgument, "ssl.certificate.location needs ssl.key.location (the client certificate's private key)")
            }
            tls.keyStore = PEMKeyStore(source: .files(key: key, certificateChain: certificate), keyPassword: keyPassword)
        } else if let bundle = value("ssl.keystore.location") {
            tls.keyStore = PEMKeyStore(source: .file(bundle), keyPassword: keyPassword)
        } else if value("ssl.key.location") != nil {
            throw KafkaClientError(.invalidArgument, "ssl.key.location needs ssl.certificate.location (the client certificate)")
        }
        if let algorithm = properties["ssl.endpoint.identification.algorithm"]?.trimmingCharacters(in: .whitespaces).lowercased() {
            switch algorithm {
            case "https": tls.verifyHostname = true
            case "", "none": tls.verifyHostname = false
            default:
                throw KafkaClientError(.invalidArgument, "ssl.endpoint.identification.algorithm=\(algorithm) (expected https, or none)")
            }
        }
        var sasl: SaslCredentials?
        if proto.usesSASL {
            let mechanism = value("sasl.mechanism") ?? value("sasl.mechanisms") ?? "GSSAPI"
            var username = value("sasl.username")
            var password = properties["sasl.password"]
            if let jaas = value("sasl.jaas.config") {
                do {
                    let parsed = try JaasConfig(parsing: jaas)
                    username = username ?? parsed.options["username"]
                    password = password ?? parsed.options["password"]
                } catch {
                    throw KafkaClientError(.invalidArgument, "sasl.jaas.config: \(error)")
                }
            }
            guard let username, let password else {
                throw KafkaClientError(.invalidArgument, "security.protocol=\(proto.rawValue) needs sasl.username and sasl.password (or sasl.jaas.config)")
            }
            sasl = SaslCredentials(mechanism: mechanism, username: username, password: password)
        }
        try self.init(securityProtocol: proto, tls: tls, sasl: sasl)
    }
}
