import Foundation
import KafkaProtocol
import NIOPosix
import SluiceBase
import SluiceClient
import Testing

/// A three-broker cluster whose every connection is secured: clients and replication over
/// SASL_SSL (PLAIN, the brokers authenticating as `admin`), the metadata quorum, registrations
/// and forwarded admin requests over a CONTROLLER listener with SASL_SSL and required client
/// certificates. confluent-kafka produces (acks=all) while the leader of a partition is
/// SIGKILLed and restarted: nothing acknowledged is lost.
@Suite(.serialized) struct SecureClusterTests {
    static func properties(_ pki: TestPKI, _ server: TestPKI.Leaf) -> [String] {
        let plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
        return [
            "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL",
            "inter.broker.listener.name=SASL_SSL",
            "ssl.keystore.type=PEM", "ssl.keystore.location=\(server.bundle)",
            "ssl.truststore.type=PEM", "ssl.truststore.location=\(pki.caCertificate)",
            "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol=PLAIN",
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.sasl_ssl.plain.sasl.jaas.config=\(plain) username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";",
            "listener.name.controller.plain.sasl.jaas.config=\(plain) username=\"controller\" password=\"controller-secret\" user_controller=\"controller-secret\";",
            "listener.name.controller.ssl.client.auth=required",
        ]
    }

    /// Metadata through SluiceClient over SASL_SSL (a fresh client each time: brokers come and go).
    static func metadata(_ cluster: ClusterHarness, _ security: ClientSecurity, topic: String? = nil,
                         avoiding: Set<Int32> = []) async throws -> ClusterMetadata {
        let running = cluster.nodes.values.filter { cluster.isRunning($0.id) && !avoiding.contains($0.id) }
        var configuration = ClientConfiguration(bootstrapServers: running.map { BrokerAddress(host: "127.0.0.1", port: $0.port) },
                                                connectTimeout: .seconds(2), requestTimeout: .seconds(5), retry: RetryPolicy(maxAttempts: 2))
        configuration.security = security
        let client = KafkaClient(configuration: configuration)
        defer { Task { await client.close() } }
        return try await client.metadata(topics: topic.map { [$0] } ?? [], refresh: true)
    }

    static func waitFor(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BrokerProcess.Failure(description: "timed out after \(seconds) s waiting for \(what)")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func securedClusterSurvivesTheSigkillOfALeader() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let server = try await pki.issue("broker", subject: "/CN=localhost/O=Sluice Brokers")
        let cluster = try ClusterHarness(brokers: 3, clientListener: "SASL_SSL", extraProperties: Self.properties(pki, server))
        defer { cluster.stopAll() }
        try cluster.startAll()
        let alice = ["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret",
                     "ssl.ca.location": pki.caCertificate]
        let security = try ClientSecurity(properties: alice)
        // The brokers registered through the secured controller listener and elected a controller.
        try await Self.waitFor("3 registered brokers and a controller", seconds: 40) {
            let m = try await Self.metadata(cluster, security)
            return m.brokers.count == 3 && m.controllerId >= 0
        }
        let environment = String(decoding: try JSONSerialization.data(withJSONObject: alice), as: UTF8.self)
        let created = try ClientRunner.run("env", ["SLUICE_CLIENT_SECURITY=\(environment)", "python3",
                                                   ClientRunner.clientsDirectory.appendingPathComponent("cluster_client.py").path,
                                                   "create", cluster.bootstrap, "secured", "3", "3", "2"], timeout: 60)
        try #require(created.status == 0, "\(created.stderr)\n\(cluster.allLogs())")
        // Replication over SASL_SSL: every partition has three in-sync replicas.
        try await Self.waitFor("three in-sync replicas everywhere", seconds: 20) {
            let m = try await Self.metadata(cluster, security, topic: "secured")
            let partitions = m.topics["secured"]?.partitions ?? []
            return partitions.count == 3 && partitions.allSatisfy { $0.isr.count == 3 }
        }

        let stopFile = cluster.directory + "/stop-producer", deliveredFile = cluster.directory + "/delivered"
        let producer = Process()
        producer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        producer.arguments = ["SLUICE_CLIENT_SECURITY=\(environment)", "python3",
                              ClientRunner.clientsDirectory.appendingPathComponent("cluster_client.py").path,
                              "produce", cluster.bootstrap, "secured", "120", stopFile, deliveredFile]
        let producerOut = cluster.directory + "/producer.out"
        FileManager.default.createFile(atPath: producerOut, contents: nil)
        let producerLog = FileHandle(forWritingAtPath: producerOut)
        producer.standardOutput = producerLog
        producer.standardError = producerLog
        try producer.run()
        defer { if producer.isRunning { producer.terminate() } }
        try await Task.sleep(for: .seconds(1))

        // SIGKILL the leader of partition 0; another in-sync replica leads; the broker restarts
        // and rejoins over the secured listeners.
        let before = try await Self.metadata(cluster, security, topic: "secured")
        let leader = try #require(before.topics["secured"]?.partition(0)?.leader)
        cluster.kill9(leader)
        try await Self.waitFor("a new leader of secured-0", seconds: 20) {
            let now = try await Self.metadata(cluster, security, topic: "secured", avoiding: [leader])
            let next = now.topics["secured"]?.partition(0)?.leader
            return next.map { $0 >= 0 && $0 != leader } ?? false
        }
        try cluster.start(leader)
        try await Self.waitFor("broker \(leader) back in every ISR", seconds: 40) {
            let m = try await Self.metadata(cluster, security, topic: "secured")
            return m.brokers.count == 3 && (m.topics["secured"]?.partitions ?? []).allSatisfy { $0.isr.count == 3 }
        }
        try await Task.sleep(for: .seconds(1))
        FileManager.default.createFile(atPath: stopFile, contents: nil)
        for _ in 0..<900 where producer.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        let output = (try? String(contentsOfFile: producerOut, encoding: .utf8)) ?? ""
        let summary = output.split(separator: "\n").last { $0.hasPrefix("{") }
        let stats = try #require(summary.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                 "producer output:\n\(output)")
        let sent = stats["sent"] as? Int ?? -1, delivered = stats["delivered"] as? Int ?? -2
        print("secured cluster: sent \(sent), delivered \(delivered), errors \((stats["errors"] as? [String])?.count ?? -1)")
        #expect(sent > 100 && delivered == sent, "\(stats["errors"] ?? "?")")
        let checked = try ClientRunner.run("env", ["SLUICE_CLIENT_SECURITY=\(environment)", "python3",
                                                   ClientRunner.clientsDirectory.appendingPathComponent("cluster_client.py").path,
                                                   "check", cluster.bootstrap, "secured", deliveredFile], timeout: 90)
        let found = try #require(checked.records.first, "check printed nothing: \(checked.stdout)\(checked.stderr)")
        #expect(found["found"] as? Int == delivered, "missing: \(found["missing"] ?? "?")\n\(cluster.allLogs())")
    }
}
