import Foundation

/// A `sluice broker` process with a secured client listener (SASL_SSL, or SSL with client
/// certificates), its test PKI, and the client settings that reach it.
final class SecureBroker: @unchecked Sendable {
    // Set once in start(); read-only after (tests of one suite run serialized).
    let pki: TestPKI
    let process: BrokerProcess
    let directory: String

    static let jaas = #"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";"#

    /// `listener`: SASL_SSL or SASL_PLAINTEXT (PLAIN users admin and alice, SCRAM enabled) or SSL
    /// (client certificates required). `extra` adds broker properties.
    init(listener: String, extra: [String] = []) async throws {
        pki = try await TestPKI()
        let server = try await pki.issue("broker", subject: "/CN=localhost/O=Sluice Test")
        process = try BrokerProcess(arguments: ["--config", "{dir}.properties", "--exit-with-parent", "--log-level", "info"])
        directory = process.dataDirectory
        var lines = [
            "node.id=1", "listeners=\(listener)://127.0.0.1:0", "log.dirs=\(directory)",
            "ssl.keystore.type=PEM", "ssl.keystore.location=\(server.bundle)",
            "ssl.truststore.type=PEM", "ssl.truststore.location=\(pki.caCertificate)",
        ]
        if listener.hasPrefix("SASL_") {
            lines += ["sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
                      "listener.name.\(listener.lowercased()).plain.sasl.jaas.config=\(Self.jaas)"]
        } else {
            lines += ["ssl.client.auth=required"]
        }
        try (lines + extra).joined(separator: "\n").write(toFile: directory + ".properties", atomically: true, encoding: .utf8)
        try await process.start()
    }

    /// Runs `body` with a started broker, then stops it (and removes its files) whether `body`
    /// returned or threw.
    static func with<T>(listener: String, extra: [String] = [], _ body: (SecureBroker) async throws -> T) async throws -> T {
        try await withResource(try await SecureBroker(listener: listener, extra: extra), stop: { await $0.stop() }, body)
    }

    var bootstrap: String { process.bootstrap }

    /// Kafka client properties for `user` (PLAIN or SCRAM) over SASL_SSL, with the test CA.
    func sasl(_ mechanism: String, _ user: String, _ password: String) -> [String: String] {
        ["security.protocol": "SASL_SSL", "sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password,
         "ssl.ca.location": pki.caCertificate]
    }

    /// Kafka client properties for SSL with a client certificate (nil: none).
    func mtls(_ leaf: TestPKI.Leaf?) -> [String: String] {
        var properties = ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate]
        if let leaf {
            properties["ssl.certificate.location"] = leaf.certificate
            properties["ssl.key.location"] = leaf.key
        }
        return properties
    }

    /// Writes `properties` as a client properties file; returns its path.
    func propertiesFile(_ properties: [String: String], name: String) throws -> String {
        let path = directory + "-\(name).properties"
        let text = properties.keys.sorted().map { "\($0)=\(properties[$0]!)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(atPath: directory)
        pki.remove()
    }
}
