import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceBase
import Testing
@testable import SluiceClient

@Suite struct ConnectionTests {
    @Test func negotiatesVersionsAndPipelinesManyRequests() async throws {
        let peer = try await ScriptedPeer { request in
            switch request.apiKey {
            case .apiVersions: return ScriptedPeer.apiVersions(request, ranges: [.apiVersions: 0...3, .metadata: 0...9])
            case .metadata:
                return ScriptedPeer.answer(MetadataResponse(clusterId: "c\(request.correlationId)", controllerId: request.correlationId), to: request)
            default: return nil
            }
        }
        defer { Task { await peer.close() } }
        let connection = try await BrokerConnection.connect(to: peer.address, nodeId: 1, configuration: .test(peer),
                                                            group: MultiThreadedEventLoopGroup.singleton)
        defer { connection.close() }
        #expect(connection.version(for: .metadata) == 9)
        // 200 requests in flight at once; each answer must reach its own caller.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let response = try await connection.send(MetadataRequest(topics: []))
                    #expect(response.clusterId == "c\(response.controllerId)")
                }
            }
            try await group.waitForAll()
        }
        #expect(peer.received(.metadata).allSatisfy { $0.apiVersion == 9 })
        #expect(peer.received(.metadata).count == 200)
    }

    @Test func fallsBackWhenApiVersionsV3IsRefused() async throws {
        let peer = try await ScriptedPeer { request in
            guard request.apiKey == .apiVersions else { return nil }
            if request.apiVersion > 2 {
                // The v0-layout refusal Kafka sends, naming its range for ApiVersions.
                var r = ApiVersionsResponse(errorCode: ErrorCode.unsupportedVersion.rawValue,
                                            apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 2)])
                r.throttleTimeMs = 0
                let parts = KafkaFrame.response(r, version: 0, correlationId: request.correlationId)
                guard case let .byteBuffer(b) = parts[0] else { return nil }
                return b
            }
            return ScriptedPeer.apiVersions(request, ranges: [.apiVersions: 0...2, .produce: 3...8])
        }
        defer { Task { await peer.close() } }
        let connection = try await BrokerConnection.connect(to: peer.address, nodeId: nil, configuration: .test(peer),
                                                            group: MultiThreadedEventLoopGroup.singleton)
        defer { connection.close() }
        #expect(connection.version(for: .produce) == 8)
        #expect(peer.received(.apiVersions).map(\.apiVersion) == [3, 2])
    }

    @Test func aWrongCorrelationIdFailsTheConnection() async throws {
        let peer = try await ScriptedPeer { request in
            if request.apiKey == .apiVersions { return ScriptedPeer.apiVersions(request) }
            var wrong = request
            wrong.correlationId += 1000
            return ScriptedPeer.answer(MetadataResponse(), to: wrong)
        }
        defer { Task { await peer.close() } }
        let connection = try await BrokerConnection.connect(to: peer.address, nodeId: 1, configuration: .test(peer),
                                                            group: MultiThreadedEventLoopGroup.singleton)
        await #expect(throws: KafkaClientError.self) { _ = try await connection.send(MetadataRequest(topics: [])) }
        try await waitUntil { !connection.isActive }
    }

    @Test func aRequestWithoutAnswerTimesOutAndClosesTheConnection() async throws {
        let peer = try await ScriptedPeer { request in
            request.apiKey == .apiVersions ? ScriptedPeer.apiVersions(request) : nil
        }
        defer { Task { await peer.close() } }
        let connection = try await BrokerConnection.connect(to: peer.address, nodeId: 1, configuration: .test(peer),
                                                            group: MultiThreadedEventLoopGroup.singleton)
        do {
            _ = try await connection.send(MetadataRequest(topics: []), timeout: .milliseconds(200))
            Issue.record("expected a timeout")
        } catch let error as KafkaClientError {
            #expect(error.kind == .timeout)
            #expect(error.isRetriable)
        }
        try await waitUntil { !connection.isActive }
    }

    @Test func connectionRefusedIsAClearRetriableError() async throws {
        // Bind and close a port so nothing listens there.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        let config = ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: port)],
                                         retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(5)))
        let client = KafkaClient(configuration: config)
        defer { Task { await client.close() } }
        do {
            _ = try await client.metadata()
            Issue.record("expected a connection error")
        } catch let error as KafkaClientError {
            #expect(error.kind == .connection)
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }
}

/// Polls `condition` until it holds, failing after `timeout`.
func waitUntil(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within \(timeout)")
}

@Suite struct TimeoutTests {
    @Test func withTimeoutFailsSlowWorkAndPassesFastWork() async throws {
        #expect(try await withTimeout(.seconds(5), "fast") { 42 } == 42)
        do {
            _ = try await withTimeout(.milliseconds(50), "slow work") { try await Task.sleep(for: .seconds(30)); return 1 }
            Issue.record("expected a timeout")
        } catch let error as KafkaClientError {
            #expect(error.kind == .timeout)
            #expect(error.detail.contains("slow work"))
        }
    }

    @Test func retryPolicyBacksOffExponentiallyWithJitterUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        for attempt in 1...8 {
            let wait = policy.backoff(afterAttempt: attempt)
            let base = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(1))
            #expect(wait >= base * 0.8 && wait <= base * 1.2)
        }
    }
}
