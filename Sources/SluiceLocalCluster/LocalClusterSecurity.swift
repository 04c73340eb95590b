import Crypto
import Foundation
import SwiftASN1
import X509

/// A secured local cluster (`sluice cluster up --secure`, `sluice --secure`): SASL_SSL on every
/// listener, a CA and a broker certificate made for it, Kafka's StandardAuthorizer with `admin`
/// as the super user, and two SCRAM users (`admin`, and `demo` for the console's demo load) whose
/// passwords are generated once and kept in `cluster.json`.
///
///     <data-dir>/tls/ca.pem              the CA certificate clients trust (ssl.ca.location)
///     <data-dir>/tls/ca-key.pem          its private key (nothing else is ever signed with it)
///     <data-dir>/tls/broker.pem          the brokers' key and certificate chain (ssl.keystore.location)
///     <data-dir>/client.properties       admin's client settings: `kcat -F`, `--command-config`
///     <data-dir>/demo.properties         the demo user's
///
/// The brokers authenticate to each other and to the controllers with PLAIN as `admin` (its
/// password in their JAAS lines); SCRAM credentials live in the metadata log, so they are created
/// once the cluster runs (``scramUsers``), and the client files name SCRAM-SHA-512.
public struct LocalClusterSecurity: Codable, Equatable, Sendable {
    public static let adminUser = "admin"
    public static let demoUser = "demo"
    /// The SASL mechanism the client files use.
    public static let clientMechanism = "SCRAM-SHA-512"
    /// Topic and group names the demo user may use (prefixed ACLs, all operations).
    public static let demoPrefix = "sluice-demo"

    public var adminPassword: String
    public var demoPassword: String

    public init(adminPassword: String, demoPassword: String) {
        self.adminPassword = adminPassword
        self.demoPassword = demoPassword
    }

    /// New random passwords (128 bits each, hex).
    public static func generate() -> LocalClusterSecurity {
        func password() -> String { SymmetricKey(size: .bits128).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } }
        return LocalClusterSecurity(adminPassword: password(), demoPassword: password())
    }

    /// The SCRAM users to create once the cluster runs: (name, password).
    public var scramUsers: [(user: String, password: String)] {
        [(Self.adminUser, adminPassword), (Self.demoUser, demoPassword)]
    }

    /// The broker properties that secure a node's listeners (`port`, and `controllerPort` for a voter).
    func brokerProperties(port: Int, controllerPort: Int?, tls: LocalCluster.TLSFiles) -> [String] {
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"\(Self.adminUser)\" password=\"\(adminPassword)\" user_\(Self.adminUser)=\"\(adminPassword)\";"
        return [
            "# Secured (--secure): SASL_SSL everywhere, ACLs on; admin is the super user.",
            controllerPort.map { "listeners=SASL_SSL://127.0.0.1:\(port),CONTROLLER://127.0.0.1:\($0)" }
                ?? "listeners=SASL_SSL://127.0.0.1:\(port)",
            "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL",
            "inter.broker.listener.name=SASL_SSL",
            "ssl.keystore.type=PEM",
            "ssl.keystore.location=\(tls.brokerBundle)",
            "ssl.truststore.type=PEM",
            "ssl.truststore.location=\(tls.caCertificate)",
            "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol=PLAIN",
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.sasl_ssl.plain.sasl.jaas.config=\(jaas)",
            "listener.name.controller.plain.sasl.jaas.config=\(jaas)",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users=User:\(Self.adminUser)",
        ]
    }

    /// Kafka client properties for `user` (kcat -F, `--command-config`, confluent-kafka).
    public func clientProperties(user: String, bootstrap: String, tls: LocalCluster.TLSFiles, mechanism: String = clientMechanism) -> String {
        let password = user == Self.demoUser ? demoPassword : adminPassword
        return """
            # Written by sluice for the secured local cluster: kcat -F <this file> -L, sluice ... --command-config <this file>
            bootstrap.servers=\(bootstrap)
            security.protocol=SASL_SSL
            sasl.mechanism=\(mechanism)
            sasl.username=\(user)
            sasl.password=\(password)
            ssl.ca.location=\(tls.caCertificate)

            """
    }
}

extension LocalCluster {
    /// Where a secured cluster's certificates are.
    public struct TLSFiles: Sendable, Equatable {
        public var caCertificate: String
        public var caKey: String
        public var brokerBundle: String
    }

    public var tlsFiles: TLSFiles {
        TLSFiles(caCertificate: directory + "/tls/ca.pem", caKey: directory + "/tls/ca-key.pem", brokerBundle: directory + "/tls/broker.pem")
    }

    /// admin's client settings for a secured cluster.
    public var clientPropertiesPath: String { directory + "/client.properties" }
    /// The demo user's.
    public var demoPropertiesPath: String { directory + "/demo.properties" }

    /// Issues the CA and the brokers' certificate (for `localhost` and 127.0.0.1, 10 years, P-256)
    /// unless they exist: a restarted cluster keeps the ones clients already trust.
    public func ensureCertificates(now: Date = Date()) throws {
        let files = tlsFiles
        let manager = FileManager.default
        if manager.fileExists(atPath: files.caCertificate) && manager.fileExists(atPath: files.brokerBundle) { return }
        try manager.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true)
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("Sluice")
            CommonName("Sluice local cluster CA")
        }
        let validFrom = now.addingTimeInterval(-3600), validUntil = now.addingTimeInterval(10 * 365 * 86_400)
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: validFrom, notValidAfter: validUntil, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let brokerKey = P256.Signing.PrivateKey()
        let broker = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(brokerKey.publicKey),
            notValidBefore: validFrom, notValidAfter: validUntil, issuer: caName,
            subject: try DistinguishedName {
                OrganizationName("Sluice")
                CommonName("localhost")
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(caKey))
        // Keys readable by their owner only.
        try write(caKey.pemRepresentation + "\n", to: files.caKey, mode: 0o600)
        try write(brokerKey.pemRepresentation + "\n" + broker.serializeAsPEM().pemString + "\n" + ca.serializeAsPEM().pemString + "\n",
                  to: files.brokerBundle, mode: 0o600)
        try write(ca.serializeAsPEM().pemString + "\n", to: files.caCertificate, mode: 0o644)
    }

    /// Writes the client files of a secured cluster (admin's and the demo user's).
    public func writeClientProperties(_ security: LocalClusterSecurity, bootstrap: String) throws {
        try write(security.clientProperties(user: LocalClusterSecurity.adminUser, bootstrap: bootstrap, tls: tlsFiles),
                  to: clientPropertiesPath, mode: 0o600)
        try write(security.clientProperties(user: LocalClusterSecurity.demoUser, bootstrap: bootstrap, tls: tlsFiles),
                  to: demoPropertiesPath, mode: 0o600)
    }

    private func write(_ text: String, to path: String, mode: Int) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
