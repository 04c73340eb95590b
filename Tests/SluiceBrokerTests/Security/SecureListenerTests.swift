import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceClient
import SluiceSecurity
import Testing
@testable import SluiceBroker

/// TLS and SASL on a broker's client listener, driven by SluiceClient: PLAIN users from the JAAS
/// line, SCRAM users created through the admin API, wrong passwords, client certificates.
@Suite(.serialized) struct SecureListenerTests {
    @Test func saslSslWithPlainAndScramUsersCreatedThroughTheAdminAPI() async throws {
        let fixture = try await SecureBrokerFixture.start(listener: "SASL_SSL")
        defer { Task { await fixture.stop() } }
        let admin = fixture.client(try fixture.security([
            "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "admin", "sasl.password": "admin-secret",
        ]))
        let metadata = try await admin.metadata(topics: [], refresh: true)
        #expect(metadata.brokers.count == 1)
        try await KafkaAdmin(client: admin).alterUserScramCredentials([
            .upsert(user: "carol", mechanism: .sha256, password: "carol-256"),
            .upsert(user: "carol", mechanism: .sha512, password: "carol-512", iterations: 8192),
        ])
        let described = try await KafkaAdmin(client: admin).describeUserScramCredentials()
        #expect(described.map(\.user) == ["carol"])
        #expect(described.first?.credentials.map(\.mechanism) == [.sha256, .sha512])
        #expect(described.first?.credentials.map(\.iterations) == [4096, 8192])
        await admin.close()

        for (mechanism, password) in [("SCRAM-SHA-256", "carol-256"), ("SCRAM-SHA-512", "carol-512")] {
            let carol = fixture.client(try fixture.security([
                "security.protocol": "SASL_SSL", "sasl.mechanism": mechanism,
                "sasl.jaas.config": #"org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="\#(password)";"#,
            ]))
            _ = try await carol.metadata(topics: [], refresh: true)
            await carol.close()
        }
        // A wrong password, an unknown user, and one mechanism's password used for the other: all
        // the same generic authentication failure.
        for (mechanism, user, password) in [("SCRAM-SHA-512", "carol", "wrong"), ("SCRAM-SHA-256", "nobody", "x"),
                                            ("SCRAM-SHA-512", "carol", "carol-256"), ("PLAIN", "admin", "nope")] {
            let client = fixture.client(try fixture.security([
                "security.protocol": "SASL_SSL", "sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password,
            ]))
            do {
                _ = try await client.metadata(topics: [], refresh: true)
                Issue.record("\(mechanism) \(user) authenticated with a wrong password")
            } catch let error as KafkaClientError {
                #expect(error.errorCode == .saslAuthenticationFailed, "\(error)")
                #expect(error.detail == "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)")
            }
            await client.close()
        }
    }

    /// Fetches answer from segment files with zero-copy regions, which TLS cannot send: they are
    /// read into memory on the I/O pool for TLS listeners (without it, the broker crashed).
    @Test func producedRecordsAreFetchedOverTLS() async throws {
        let fixture = try await SecureBrokerFixture.start(listener: "SASL_SSL")
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try fixture.security([
            "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret",
        ]))
        defer { Task { await client.close() } }
        try await KafkaAdmin(client: client).createTopic(NewTopic(name: "tls-fetch", partitions: 1, replicationFactor: 1))
        let connection = try await client.anyConnection()
        let produced = try await connection.send(produceRequest(topic: "tls-fetch", batch: try makeBatch(50, prefix: "tls")), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
        let fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
            .init(topic: "tls-fetch", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
        ])
        let response = try await connection.send(fetch, version: 11)
        guard case let .bytes(bytes)? = response.responses.first?.partitions.first?.records else {
            Issue.record("no records fetched")
            return
        }
        let batches = Array(RecordBatchSequence(bytes))
        #expect(batches.count == 1 && batches.first?.lastOffsetDelta == 49)
    }

    /// Hostname verification (`ssl.endpoint.identification.algorithm=https`, the default): a
    /// certificate that names another host is refused; `none` accepts it (the CA still counts).
    @Test func theBrokersCertificateMustNameItsHost() async throws {
        let pki = try await TestPKI()
        let elsewhere = try await pki.issue("elsewhere", subject: "/CN=other.example", sans: ["DNS:other.example"])
        let fixture = try await SecureBrokerFixture.start(listener: "SSL", properties: [("ssl.keystore.location", elsewhere.bundle)], pki: pki)
        defer { Task { await fixture.stop() } }
        let strict = fixture.client(try fixture.security(["security.protocol": "SSL"]))
        do {
            _ = try await strict.metadata(topics: [], refresh: true)
            Issue.record("a certificate for other.example was accepted for 127.0.0.1")
        } catch let error as KafkaClientError {
            #expect(error.kind == .connection && error.detail.contains("TLS handshake failed"), "\(error)")
        }
        await strict.close()
        let lenient = fixture.client(try fixture.security(["security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "none"]))
        _ = try await lenient.metadata(topics: [], refresh: true)
        await lenient.close()
    }

    /// Rotating the key store file: new connections get the new certificate without a restart.
    /// The client trusts only the new certificate's CA, so it connects only once the broker has
    /// reloaded.
    @Test func aRotatedKeyStoreServesNewConnections() async throws {
        let pki = try await TestPKI()
        let first = try await pki.issue("first", subject: "/CN=localhost")
        let live = pki.directory + "/live.pem"
        try FileManager.default.copyItem(atPath: first.bundle, toPath: live)
        let fixture = try await SecureBrokerFixture.start(listener: "SSL", properties: [("ssl.keystore.location", live)], pki: pki)
        defer { Task { await fixture.stop() } }
        let rotatedCA = try await TestPKI(name: "Rotated CA")
        defer { rotatedCA.remove() }
        let rotated = try await rotatedCA.issue("rotated", subject: "/CN=localhost")
        let security = try ClientSecurity(properties: ["security.protocol": "SSL", "ssl.ca.location": rotatedCA.caCertificate])
        let before = fixture.client(security)
        await #expect(throws: KafkaClientError.self) { _ = try await before.metadata(topics: [], refresh: true) }
        await before.close()
        // Written as a rotation tool would: a new file moved into place.
        try FileManager.default.copyItem(atPath: rotated.bundle, toPath: live + ".new")
        #expect(rename(live + ".new", live) == 0)
        let deadline = ContinuousClock.now + .seconds(20)
        var connected = false
        while !connected && ContinuousClock.now < deadline {
            let client = fixture.client(security)
            connected = (try? await client.metadata(topics: [], refresh: true)) != nil
            await client.close()
            if !connected { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(connected, "the broker never served the rotated certificate")
    }

    @Test func scramCredentialValidationUsesKafkasCodes() async throws {
        let fixture = try await SecureBrokerFixture.start(listener: "SASL_PLAINTEXT")
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try ClientSecurity(securityProtocol: .saslPlaintext,
                                                       sasl: SaslCredentials(mechanism: "PLAIN", username: "admin", password: "admin-secret")))
        defer { Task { await client.close() } }
        let admin = KafkaAdmin(client: client)
        func code(_ changes: [ScramCredentialChange]) async -> ErrorCode? {
            do {
                try await admin.alterUserScramCredentials(changes)
                return ErrorCode.noError
            } catch let error as KafkaClientError {
                return error.errorCode
            } catch {
                return nil
            }
        }
        #expect(await code([.delete(user: "ghost", mechanism: .sha256)]) == .resourceNotFound)
        #expect(await code([.upsert(user: "", mechanism: .sha256, password: "p")]) == .unacceptableCredential)
        #expect(await code([.upsert(user: "u", mechanism: .sha256, password: "p", iterations: 100)]) == .unacceptableCredential)
        #expect(await code([.upsert(user: "u", mechanism: .sha256, password: "p", iterations: 20_000)]) == .unacceptableCredential)
        #expect(await code([.upsert(user: "u", mechanism: .sha256, password: "p"), .upsert(user: "u", mechanism: .sha256, password: "q")])
                == .duplicateResource)
        #expect(await code([.upsert(user: "dora", mechanism: .sha256, password: "p")]) == ErrorCode.noError)
        #expect(await code([.delete(user: "dora", mechanism: .sha256)]) == ErrorCode.noError)
        // The deletion is committed when AlterUserScramCredentials answers; the broker's image
        // follows a moment later.
        var gone: ErrorCode?
        for _ in 0..<100 where gone == nil {
            do {
                _ = try await admin.describeUserScramCredentials(users: ["dora"])
                try await Task.sleep(for: .milliseconds(50))
            } catch let error as KafkaClientError {
                gone = error.errorCode
            }
        }
        #expect(gone == .resourceNotFound)
    }

    @Test func tlsClientsMustTrustTheBrokersCertificate() async throws {
        let fixture = try await SecureBrokerFixture.start(listener: "SSL")
        defer { Task { await fixture.stop() } }
        let trusted = fixture.client(try fixture.security(["security.protocol": "SSL"]))
        _ = try await trusted.metadata(topics: [], refresh: true)
        await trusted.close()
        // The broker's certificate names localhost and 127.0.0.1; "localhost" is checked as a name.
        var configuration = ClientConfiguration(bootstrapServers: [BrokerAddress(host: "localhost", port: fixture.port)],
                                                connectTimeout: .seconds(5), requestTimeout: .seconds(10), retry: RetryPolicy(maxAttempts: 1))
        configuration.security = try fixture.security(["security.protocol": "SSL"])
        let byName = KafkaClient(configuration: configuration)
        _ = try await byName.anyConnection()
        await byName.close()
        // Another CA's client does not trust the broker.
        let foreign = try await TestPKI(name: "Foreign CA")
        defer { foreign.remove() }
        let stranger = fixture.client(try ClientSecurity(properties: ["security.protocol": "SSL", "ssl.ca.location": foreign.caCertificate]))
        do {
            _ = try await stranger.metadata(topics: [], refresh: true)
            Issue.record("a client trusted a certificate from another CA")
        } catch let error as KafkaClientError {
            #expect(error.kind == .connection && error.detail.contains("TLS handshake failed"), "\(error)")
        }
        await stranger.close()
    }
}
