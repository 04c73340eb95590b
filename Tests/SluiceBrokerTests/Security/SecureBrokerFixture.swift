import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import SluiceBase
import SluiceClient
import SluiceSecurity
import SluiceStorage
@testable import SluiceBroker

/// A single in-process broker whose client listener is secured by `properties` (Kafka's keys),
/// with test certificates from a fresh ``TestPKI``.
struct SecureBrokerFixture {
    let broker: Broker
    let pki: TestPKI
    let server: TestPKI.Leaf
    let directory: String

    static let adminJaas = #"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";"#

    /// `listener` like `SASL_SSL`; the key store, trust store and JAAS keys are filled in unless
    /// `properties` gives them.
    static func start(listener: String, properties: [(String, String)] = [], pki given: TestPKI? = nil) async throws -> SecureBrokerFixture {
        let pki: TestPKI
        if let given { pki = given } else { pki = try await TestPKI() }
        let server = try await pki.issue("broker", subject: "/CN=localhost/O=Sluice Test")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-secure-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = BrokerConfig()
        var settings: [(key: String, value: String)] = [
            ("listeners", "\(listener)://127.0.0.1:0"),
            ("ssl.keystore.location", server.bundle),
            ("ssl.truststore.location", pki.caCertificate),
            ("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"),
            ("listener.name.\(listener.lowercased()).plain.sasl.jaas.config", adminJaas),
            ("connection.failed.authentication.delay.ms", "50"),
        ]
        settings += properties.map { (key: $0.0, value: $0.1) }
        try config.apply(settings)
        config.listener = BrokerAddress(host: "127.0.0.1", port: 0)
        config.dataDirectory = directory
        config.ioThreads = 2
        var logger = Logger(label: "test.secure-broker")
        logger.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"] == "1" ? .debug : .error
        // The real storage engine: fetches answer with file regions, as in production.
        let logs = try LogManager(directory: directory, defaults: config.logDefaults, logger: logger)
        let broker = try await Broker.start(config: config, logs: logs, logger: logger, eventLoopThreads: 1)
        return SecureBrokerFixture(broker: broker, pki: pki, server: server, directory: directory)
    }

    var port: Int { broker.advertised.port }

    /// A client of this broker with `security`.
    func client(_ security: ClientSecurity) -> KafkaClient {
        var configuration = ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)],
                                                connectTimeout: .seconds(5), requestTimeout: .seconds(10),
                                                retry: RetryPolicy(maxAttempts: 1))
        configuration.security = security
        return KafkaClient(configuration: configuration)
    }

    /// Client security from Kafka client properties, with this PKI's CA.
    func security(_ properties: [String: String]) throws -> ClientSecurity {
        var all = ["ssl.ca.location": pki.caCertificate]
        all.merge(properties) { $1 }
        return try ClientSecurity(properties: all)
    }

    func stop() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
        pki.remove()
    }
}
