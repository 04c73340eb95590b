import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import SluiceBase
import SluiceClient
import SluiceSecurity
import Testing
@testable import SluiceBroker

/// Answers DescribeCluster with the connection's principal as the cluster id: lets a test see the
/// principal every handler gets in its ``RequestContext``.
private struct WhoAmIHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1

    func handle(_ request: DescribeClusterRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeClusterResponse>> {
        var response = DescribeClusterResponse()
        response.clusterId = "\(context.principal)|\(context.listenerName)|\(context.securityProtocol.rawValue)"
        response.errorMessage = nil
        return reply(response, context)
    }
}

/// The principal of a connection, as handlers see it: `User:ANONYMOUS`, `User:` + a client
/// certificate's RFC 2253 subject (after `ssl.principal.mapping.rules`), `User:` + the SASL user.
@Suite(.serialized) struct CertificatePrincipalTests {
    /// A real ``BrokerServer`` (TLS handler, frame decoder, connection handler) with the WhoAmI
    /// registry, configured by Kafka's keys.
    func withServer(_ properties: [(key: String, value: String)], listener: String, pki: TestPKI,
                    _ body: (Int) async throws -> Void) async throws {
        var config = BrokerConfig()
        try config.apply([(key: "listeners", value: "\(listener)://127.0.0.1:0")] + properties)
        let security = try config.listenerSecurity(listener)
        let runtime = try ListenerRuntime(security: security, failedAuthenticationDelayMs: 10, scramCredential: { _, _ in nil })
        var registry = HandlerRegistry()
        registry.register(WhoAmIHandler())
        registry.registerSaslHandlers(logger: Logger(label: "test"))
        registry.register(ApiVersionsHandler(advertised: registry.advertisedVersions + [(key: .apiVersions, versions: 0...4)]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "test.whoami")
        logger.logLevel = .error
        let server = BrokerServer(group: group, registry: registry, maxFrameSize: 1 << 20, listener: runtime, logger: logger)
        let address = try await server.start(host: "127.0.0.1", port: 0)
        do {
            try await body(address.port!)
        } catch {
            await server.shutdown(gracePeriod: .milliseconds(100))
            try? await group.shutdownGracefully()
            throw error
        }
        await server.shutdown(gracePeriod: .milliseconds(100))
        try await group.shutdownGracefully()
    }

    func whoAmI(port: Int, _ properties: [String: String]) async throws -> String {
        var configuration = ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)],
                                                connectTimeout: .seconds(5), requestTimeout: .seconds(10), retry: RetryPolicy(maxAttempts: 1))
        configuration.security = try ClientSecurity(properties: properties)
        let connection = try await BrokerConnection.connect(to: configuration.bootstrapServers[0], nodeId: nil, configuration: configuration,
                                                            group: MultiThreadedEventLoopGroup.singleton)
        defer { connection.close() }
        return try await connection.send(DescribeClusterRequest(), version: 0).clusterId
    }

    @Test func certificatesGiveTheSubjectAsPrincipal() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let server = try await pki.issue("server", subject: "/CN=localhost")
        let dave = try await pki.issue("dave", subject: "/O=Acme/CN=dave")
        let expired = try await pki.issue("old", subject: "/CN=old", expired: true)
        let foreignCA = try await TestPKI(name: "Foreign CA")
        defer { foreignCA.remove() }
        let stranger = try await foreignCA.issue("stranger", subject: "/CN=stranger")
        let tls: [(key: String, value: String)] = [("ssl.keystore.location", server.bundle), ("ssl.truststore.location", pki.caCertificate)]
        func client(_ leaf: TestPKI.Leaf?) -> [String: String] {
            var properties = ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate]
            if let leaf {
                properties["ssl.certificate.location"] = leaf.certificate
                properties["ssl.key.location"] = leaf.key
            }
            return properties
        }
        try await withServer(tls + [("ssl.client.auth", "requested")], listener: "SSL", pki: pki) { port in
            let who1 = try await whoAmI(port: port, client(dave))

            #expect(who1 == "User:CN=dave,O=Acme|SSL|SSL")
            let who2 = try await whoAmI(port: port, client(nil))

            #expect(who2 == "User:ANONYMOUS|SSL|SSL")
            await #expect(throws: KafkaClientError.self) { try await whoAmI(port: port, client(expired)) }
            await #expect(throws: KafkaClientError.self) { try await whoAmI(port: port, client(stranger)) }
        }
        try await withServer(tls + [("ssl.client.auth", "required"),
                                    ("ssl.principal.mapping.rules", "RULE:^CN=([a-z]+),O=Acme$/$1@acme/U,DEFAULT")],
                             listener: "SSL", pki: pki) { port in
            let who3 = try await whoAmI(port: port, client(dave))

            #expect(who3 == "User:DAVE@ACME|SSL|SSL")
            await #expect(throws: KafkaClientError.self) { try await whoAmI(port: port, client(nil)) }
        }
        // No rule applies: the connection is refused, as in Kafka.
        try await withServer(tls + [("ssl.client.auth", "required"), ("ssl.principal.mapping.rules", "RULE:^CN=admin$/admin/")],
                             listener: "SSL", pki: pki) { port in
            await #expect(throws: KafkaClientError.self) { try await whoAmI(port: port, client(dave)) }
        }
        // SASL over TLS: the SASL user, whatever certificate the client has.
        try await withServer(tls + [("ssl.client.auth", "requested"), ("sasl.enabled.mechanisms", "PLAIN"),
                                    ("listener.name.sasl_ssl.plain.sasl.jaas.config", SecureBrokerFixture.adminJaas)],
                             listener: "SASL_SSL", pki: pki) { port in
            var properties = client(dave)
            properties.merge(["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "alice",
                              "sasl.password": "alice-secret"]) { $1 }
            let who4 = try await whoAmI(port: port, properties)

            #expect(who4 == "User:alice|SASL_SSL|SASL_SSL")
        }
    }

    @Test func plaintextAndGarbageOnATLSPortCloseWithoutDisturbingOthers() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let server = try await pki.issue("server", subject: "/CN=localhost")
        try await withServer([("ssl.keystore.location", server.bundle)], listener: "SSL", pki: pki) { port in
            // A TLS client in the middle of its session.
            let tlsClient = ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate]
            let who5 = try await whoAmI(port: port, tlsClient)

            #expect(who5 == "User:ANONYMOUS|SSL|SSL")
            // Plaintext Kafka bytes: the TLS layer refuses them and the connection closes.
            let plain = try RawKafkaConnection(port: port)
            plain.send(KafkaFrame.request(ApiVersionsRequest(), version: 3, correlationId: 1, clientId: "plain"))
            #expect(plain.isClosedByPeer())
            // Garbage, and a handshake cut short.
            let garbage = try RawKafkaConnection(port: port)
            garbage.send(ByteBuffer(bytes: (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
            #expect(garbage.isClosedByPeer())
            let truncated = try RawKafkaConnection(port: port)
            truncated.send(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]))
            truncated.finishSending()
            #expect(truncated.isClosedByPeer())
            let who6 = try await whoAmI(port: port, tlsClient)

            #expect(who6 == "User:ANONYMOUS|SSL|SSL")
        }
    }

    @Test func aPlaintextListenerRunsAsAnonymous() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        try await withServer([], listener: "PLAINTEXT", pki: pki) { port in
            let who7 = try await whoAmI(port: port, [:])

            #expect(who7 == "User:ANONYMOUS|PLAINTEXT|PLAINTEXT")
        }
    }
}
