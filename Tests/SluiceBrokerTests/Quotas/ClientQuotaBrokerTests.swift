import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceClient
import SluiceSecurity
import Testing
@testable import SluiceBroker

/// Client quotas through one in-process broker: DescribeClientQuotas / AlterClientQuotas with
/// SluiceClient's admin (through the controller and the metadata log), their ACL checks, and the
/// enforcement a client sees: `throttle_time_ms` and a muted connection for Produce, an empty
/// throttled answer for Fetch. The raw connections send client id `sluice-test`.
@Suite(.serialized, .onTestThreads) struct ClientQuotaBrokerTests {
    func client(_ port: Int) -> KafkaClient {
        KafkaClient(configuration: ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)],
                                                       connectTimeout: .seconds(5), requestTimeout: .seconds(10),
                                                       retry: RetryPolicy(maxAttempts: 1)))
    }

    func expectError(_ code: ErrorCode, _ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what) succeeded, expected \(code)")
        } catch let error as KafkaClientError {
            #expect(error.errorCode == code, "\(what): \(error)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    @Test func quotasAreAlteredAndDescribedThroughTheMetadataLog() async throws {
        try await BrokerFixture.with { fixture in
            let admin = KafkaAdmin(client: client(fixture.port))
            let alice = QuotaEntity(user: "alice")
            let aliceApp = QuotaEntity(user: "alice", clientId: "app")
            let defaultClient = QuotaEntity(clientId: .some(nil))
            try await admin.alterClientQuotas(alice, set: ["producer_byte_rate": 1_048_576, "consumer_byte_rate": 2_097_152])
            try await admin.alterClientQuotas(aliceApp, set: ["producer_byte_rate": 1024])
            try await admin.alterClientQuotas(defaultClient, set: ["consumer_byte_rate": 500])
            // Answered once this broker's image has them: described at once.
            let all = try await admin.describeClientQuotas()
            #expect(all.map(\.entity) == [defaultClient, alice, aliceApp].sorted { $0.description < $1.description })
            #expect(all.first { $0.entity == alice }?.values == ["producer_byte_rate": 1_048_576, "consumer_byte_rate": 2_097_152])
            #expect(try await admin.describeClientQuotas(["user": .exact("alice")], strict: true).map(\.entity) == [alice])
            #expect(try await admin.describeClientQuotas(["user": .exact("alice")]).count == 2)
            #expect(try await admin.describeClientQuotas(["client-id": .defaultName]).map(\.values) == [["consumer_byte_rate": 500]])
            // The broker enforces what it describes.
            let image = fixture.broker.services.cluster.view.image.clientQuotas
            #expect(image.quota(for: "producer_byte_rate", user: "alice", clientId: "app")?.limit == 1024)
            #expect(image.quota(for: "consumer_byte_rate", user: "bob", clientId: "x")?.limit == 500)

            // validate_only changes nothing; removing keys removes the entity once empty.
            try await admin.alterClientQuotas(aliceApp, set: ["producer_byte_rate": 1], validateOnly: true)
            #expect(try await admin.describeClientQuotas(["user": .exact("alice"), "client-id": .exact("app")]).first?.values
                    == ["producer_byte_rate": 1024])
            try await admin.alterClientQuotas(aliceApp, remove: ["producer_byte_rate"])
            try await admin.alterClientQuotas(alice, remove: ["consumer_byte_rate", "request_percentage"])
            #expect(try await admin.describeClientQuotas(["user": .anyName]).map(\.entity) == [alice])
            #expect(try await admin.describeClientQuotas(["user": .anyName]).first?.values == ["producer_byte_rate": 1_048_576])

            // Bad alterations: INVALID_REQUEST, nothing written; bad filters: Kafka's codes.
            await expectError(.invalidRequest, "an unknown key") {
                try await admin.alterClientQuotas(alice, set: ["retention.ms": 5])
            }
            await expectError(.invalidRequest, "a fractional byte rate") {
                try await admin.alterClientQuotas(alice, set: ["producer_byte_rate": 0.5])
            }
            await expectError(.invalidRequest, "an empty user name") {
                try await admin.alterClientQuotas(QuotaEntity(user: ""), set: ["producer_byte_rate": 5])
            }
            await expectError(.invalidRequest, "an unknown entity type") {
                try await admin.alterClientQuotas(QuotaEntity(parts: ["group": "g"]), set: ["producer_byte_rate": 5])
            }
            await expectError(.unsupportedVersion, "a filter on an unknown type") {
                _ = try await admin.describeClientQuotas(["topic": .anyName])
            }
            #expect(try await admin.describeClientQuotas(["user": .exact("alice")], strict: true).first?.values
                    == ["producer_byte_rate": 1_048_576])
        }
    }

    /// Kafka's checks: DESCRIBE_CONFIGS on the cluster to describe, ALTER_CONFIGS to alter.
    @Test func quotasNeedConfigPermissionsOnTheCluster() async throws {
        let properties = [("authorizer.class.name", StandardAuthorizer.className), ("super.users", "User:admin")]
        try await SecureBrokerFixture.with(listener: "SASL_PLAINTEXT", properties: properties) { fixture in
            func client(_ user: String) throws -> KafkaAdmin {
                KafkaAdmin(client: fixture.client(try fixture.security(
                    ["security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": user, "sasl.password": "\(user)-secret"])))
            }
            let admin = try client("admin"), alice = try client("alice")
            try await admin.alterClientQuotas(QuotaEntity(user: "bob"), set: ["producer_byte_rate": 100])
            await expectError(.clusterAuthorizationFailed, "describe without DESCRIBE_CONFIGS") {
                _ = try await alice.describeClientQuotas()
            }
            await expectError(.clusterAuthorizationFailed, "alter without ALTER_CONFIGS") {
                try await alice.alterClientQuotas(QuotaEntity(user: "bob"), set: ["producer_byte_rate": 1])
            }
            try await admin.createAcls([AclBinding(AclResourcePattern(.cluster, AclResource.clusterName),
                                                   AccessControlEntry(principal: "User:alice", operation: .alterConfigs, permission: .allow))])
            try await poll(until: "alice's ACL in the image") { !fixture.broker.services.cluster.view.image.acls.isEmpty }
            // ALTER_CONFIGS implies DESCRIBE_CONFIGS.
            try await alice.alterClientQuotas(QuotaEntity(user: "bob"), set: ["producer_byte_rate": 200])
            #expect(try await alice.describeClientQuotas().first?.values == ["producer_byte_rate": 200])
        }
    }

    /// In a cluster (a controller and brokers 2 and 3): an alteration sent to broker 2 is
    /// forwarded to the controller, reaches broker 3's image, and broker 3 enforces it (the
    /// request's size counts even when its partitions fail, as in Kafka).
    @Test func quotasReachAndBindEveryBroker() async throws {
        try await InProcessCluster.with(brokers: 2, configure: { $0.ioThreads = 2; $0.quotaWindowNum = 2 }) { cluster in
            let admin = KafkaAdmin(client: client(cluster.broker(2).advertised.port))
            try await admin.alterClientQuotas(QuotaEntity(clientId: "sluice-test"), set: ["producer_byte_rate": 10_000])
            try await poll(until: "the quota in broker 3's image") {
                cluster.broker(3).services.cluster.view.image.clientQuotas.value(
                    ClientQuotaEntity(clientId: .named("sluice-test")), ClientQuotaKey.producerByteRate) == 10_000
            }
            let connection = try await RawKafkaConnection(port: cluster.broker(3).advertised.port)
            let response = try await connection.roundTrip(produceRequest(topic: "nowhere", batch: try bigBatch(30, size: 1000)), version: 9)
            #expect(response.throttleTimeMs > 1_000, "throttle_time_ms \(response.throttleTimeMs)")
        }
    }

    /// A batch of `count` records of `size` bytes each.
    func bigBatch(_ count: Int, size: Int) throws -> RecordBatch {
        var builder = RecordBatchBuilder()
        for i in 0..<count {
            builder.append(key: nil, value: ByteBuffer(repeating: UInt8(65 + i % 26), count: size), timestamp: 1_700_000_000_000)
        }
        return try builder.build()
    }

    /// A produce of 30 KB under a 10,000 B/s quota measured over 2 samples of 1 s: the answer
    /// says to wait (30,000 − 10,000) / 10,000 × 1 s ≈ 2 s, and the connection reads nothing more
    /// for that long — a request sent at once is answered only then. Produce v5 (before KIP-219)
    /// holds the answer back instead. Another client id has no quota.
    @Test func aProducerOverItsQuotaIsThrottledAndMuted() async throws {
        try await BrokerFixture.with(configure: { $0.quotaWindowNum = 2 }) { fixture in
            let admin = KafkaAdmin(client: client(fixture.port))
            try await admin.createTopic(NewTopic(name: "q", partitions: 1, replicationFactor: 1))
            try await admin.alterClientQuotas(QuotaEntity(clientId: "sluice-test"), set: ["producer_byte_rate": 10_000])
            let batch = try bigBatch(30, size: 1000)
            let connection = try await fixture.connect()
            let sent = ContinuousClock.now
            let first = try await connection.roundTrip(produceRequest(topic: "q", batch: batch), version: 9)
            #expect(first.responses.first?.partitionResponses.first?.errorCode == 0)
            let throttle = first.throttleTimeMs
            #expect(throttle >= 1_900 && throttle <= 2_400, "throttle_time_ms \(throttle)")
            // Counted in the broker's metrics.
            let scrape = String(decoding: fixture.broker.services.metrics.emitText(), as: UTF8.self)
            let line = scrape.split(separator: "\n").first { $0.hasPrefix("sluice_quota_throttled_requests_total{quota=\"produce\"}") }
            #expect(line?.hasSuffix(" 1") == true, "\(line ?? "no line")")
            // And per quota entity (a client-id quota: user "").
            let client = scrape.split(separator: "\n").first { $0.hasPrefix("sluice_quota_client_throttle_time_ms_total{") && $0.contains("client_id=\"sluice-test\"") }
            #expect(client?.hasSuffix(" \(throttle)") == true && client?.contains("quota=\"produce\"") == true
                    && client?.contains("user=\"\"") == true, "\(client ?? "no line")")
            // Muted from the produce's dispatch: the next request waits until the throttle time is over.
            _ = try await connection.roundTrip(ApiVersionsRequest(), version: 0)
            let held = ContinuousClock.now - sent
            #expect(held >= .milliseconds(Int64(throttle)), "answered \(held) after the produce was sent, throttle \(throttle) ms")

            // Produce v5: no muting, the answer itself comes after the throttle time.
            let started = ContinuousClock.now
            let old = try await connection.roundTrip(produceRequest(topic: "q", batch: batch), version: 5)
            #expect(old.throttleTimeMs > 0)
            #expect(ContinuousClock.now - started >= .milliseconds(Int64(old.throttleTimeMs) - 100))

            // A client id without a quota is never throttled.
            let other = try await fixture.connect()
            let id = Int32(77)
            #expect(await other.send(KafkaFrame.request(produceRequest(topic: "q", batch: batch), version: 9,
                                                        correlationId: id, clientId: "unlimited")))
            let free = try await other.receive(ProduceResponse.self, version: 9, correlationId: id)
            #expect(free.throttleTimeMs == 0)
        }
    }

    /// A consumer under a 10,000 B/s quota (2 samples of 1 s): a fetch gets at most 10,000 bytes
    /// (limit × (samples − 1) × window); the next one at once would exceed the quota, so it is
    /// answered empty with the throttle time and its bytes are not counted.
    @Test func aConsumerOverItsQuotaGetsAnEmptyThrottledFetch() async throws {
        try await BrokerFixture.with(configure: { $0.quotaWindowNum = 2 }) { fixture in
            let admin = KafkaAdmin(client: client(fixture.port))
            try await admin.createTopic(NewTopic(name: "f", partitions: 1, replicationFactor: 1))
            let connection = try await fixture.connect()
            for _ in 0..<20 {
                let produced = try await connection.roundTrip(produceRequest(topic: "f", batch: try bigBatch(1, size: 2000)), version: 9)
                #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
            }
            try await admin.alterClientQuotas(QuotaEntity(clientId: "sluice-test"), set: ["consumer_byte_rate": 10_000])
            func fetch(_ offset: Int64) -> FetchRequest {
                FetchRequest(replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1_000_000, isolationLevel: 0, topics: [
                    .init(topic: "f", partitions: [.init(partition: 0, fetchOffset: offset, partitionMaxBytes: 1_000_000)]),
                ])
            }
            let first = try await connection.roundTrip(fetch(0), version: 11)
            let bytes = first.responses.first?.partitions.first?.records?.byteCount ?? 0
            #expect(bytes > 0 && bytes <= 10_000, "first fetch returned \(bytes) bytes")
            #expect(first.throttleTimeMs == 0)
            let second = try await connection.roundTrip(fetch(1), version: 11)
            #expect(second.throttleTimeMs > 0)
            #expect(second.responses.isEmpty, "a throttled fetch answers no partitions")
        }
    }
}
