import Foundation
import KafkaProtocol
import Logging
import NIOCore
import Testing
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// The broker's HTTP endpoint (`metrics.listener`): what a Prometheus scrape sees after real
/// produce and fetch requests, readiness at start-up, and requests it must survive.
@Suite(.onTestThreads) struct MetricsEndpointTests {
    static func startWithMetrics() async throws -> (BrokerFixture, Int) {
        let fixture = try await BrokerFixture.start { $0.metricsListener = BrokerAddress(host: "127.0.0.1", port: 0) }
        return (fixture, fixture.broker.metricsAddress!.port!)
    }

    func scrape(_ port: Int) throws -> PrometheusSamples {
        let response = try HTTPTestClient.get(port: port, "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return PrometheusSamples(response.body)
    }

    @Test func scrapeCountsProducedAndFetchedRecordsAndBytes() async throws {
        let (fixture, port) = try await Self.startWithMetrics()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "m", numPartitions: 1, replicationFactor: 1)]), version: 4)
            let before = try scrape(port)
            #expect(before[#"kafka_server_brokertopicmetrics_messagesin_total{topic="m"}"#] ?? 0 == 0)

            let first = try makeBatch(5), second = try makeBatch(3)
            _ = try await connection.roundTrip(produceRequest(topic: "m", batch: first), version: 9)
            _ = try await connection.roundTrip(produceRequest(topic: "m", acks: -1, batch: second), version: 3)
            let fetched = try await connection.roundTrip(FetchRequest(maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, topics: [
                .init(topic: "m", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
            ]), version: 12)
            guard case let .bytes(records)? = fetched.responses[0].partitions[0].records else {
                Issue.record("no records fetched")
                return
            }
            // A produce to a partition that does not exist is a failed produce of that topic.
            _ = try await connection.roundTrip(produceRequest(topic: "m", partition: 7, batch: try makeBatch(1)), version: 9)

            let after = try scrape(port)
            #expect(after[#"kafka_server_brokertopicmetrics_messagesin_total{topic="m"}"#] == 8)
            #expect(after[#"kafka_server_brokertopicmetrics_messagesin_total{topic=""}"#] == 8)
            #expect(after[#"kafka_server_brokertopicmetrics_bytesin_total{topic="m"}"#] == Double(first.totalSize + second.totalSize))
            #expect(after[#"kafka_server_brokertopicmetrics_bytesout_total{topic="m"}"#] == Double(records.readableBytes))
            #expect(after[#"kafka_server_brokertopicmetrics_totalproducerequests_total{topic="m"}"#] == 3)
            #expect(after[#"kafka_server_brokertopicmetrics_failedproducerequests_total{topic="m"}"#] == 1)
            #expect(after[#"kafka_server_brokertopicmetrics_totalfetchrequests_total{topic="m"}"#] == 1)
            #expect(after[#"kafka_network_requestmetrics_requests_total{request="Produce"}"#] == 3)
            #expect(after[#"kafka_network_requestmetrics_requests_total{request="Fetch"}"#] == 1)
            #expect(after[#"kafka_network_requestmetrics_totaltimems_count{request="Produce"}"#] == 3)
            #expect((after[#"kafka_network_requestmetrics_totaltimems_sum{request="Produce"}"#] ?? 0) > 0)
            #expect(after[#"kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="+Inf"}"#] == 3)
            #expect(after["kafka_server_replicamanager_leadercount"] == 1)
            #expect(after["kafka_server_replicamanager_partitioncount"] == 1)
            #expect(after["kafka_server_replicamanager_underreplicatedpartitions"] == 0)
            #expect(after["kafka_controller_kafkacontroller_activecontrollercount"] == 1)
            #expect(after["kafka_controller_kafkacontroller_globalpartitioncount"] == 1)
            #expect((after["kafka_server_broker_metadata_metrics_last_applied_record_offset"] ?? 0) > 0)
            #expect(after["sluice_broker_ready"] == 1)
            #expect(before[#"kafka_log_log_size{topic="m",partition="0"}"#] == 0)
            let logSize = try #require(fixture.broker.logs.log(for: TopicPartition("m", 0))).sizeInBytes
            #expect(logSize == Int64(first.totalSize + second.totalSize))
            #expect(after[#"kafka_log_log_size{topic="m",partition="0"}"#] == Double(logSize))
            #expect(after[#"kafka_server_socket_server_metrics_connection_count{listener="PLAINTEXT"}"#] == 1)

            // Every catalogued metric is exported, with its HELP text.
            for entry in MetricCatalog.entries where !entry.onDemand {
                #expect(after.families.contains(entry.name), "\(entry.name) missing")
                #expect(after.helped.contains(entry.name), "\(entry.name) has no HELP")
            }
        }
    }

    @Test func openMetricsWhenAsked() async throws {
        let (fixture, port) = try await Self.startWithMetrics()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let response = try HTTPTestClient.get(port: port, "/metrics",
                                                  headers: ["Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"])
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("application/openmetrics-text; version=1.0.0") == true)
            #expect(response.body.hasSuffix("# EOF\n"))
            #expect(response.body.contains("# TYPE kafka_server_brokertopicmetrics_messagesin counter\n"))
            #expect(response.body.contains("kafka_network_requestmetrics_requests_total{request=\"Produce\"} 0"))
        }
    }

    @Test func badRequestsNeverStopTheBroker() async throws {
        let (fixture, port) = try await Self.startWithMetrics()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            #expect(try HTTPTestClient.get(port: port, "/nope").status == 404)
            #expect(try HTTPTestClient.get(port: port, "/metrics", method: "POST").status == 405)
            #expect(try HTTPTestClient.get(port: port, "/health/live").status == 200)
            // A header far past NIOHTTP1's limit: answered 400 (or reset), and the connection closed.
            let huge = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n"
            let answer = try HTTPTestClient.exchange(port: port, Array(huge.utf8))
            #expect(answer == nil || answer!.hasPrefix("HTTP/1.1 400"))
            // Garbage instead of HTTP.
            let garbage = try HTTPTestClient.exchange(port: port, [0x16, 0x03, 0x01, 0x00, 0xFF] + Array(repeating: 0, count: 64))
            #expect(garbage == nil || garbage!.hasPrefix("HTTP/1.1 400"))
            // Still serving, both HTTP and Kafka.
            #expect(try HTTPTestClient.get(port: port, "/health/live").status == 200)
            #expect(try HTTPTestClient.get(port: port, "/metrics").status == 200)
            let versions = try await fixture.connect().roundTrip(ApiVersionsRequest(), version: 3)
            #expect(versions.errorCode == 0)
        }
    }

    /// A broker-only node whose controller is not up yet is not ready (503, not registered);
    /// once the controller starts it registers, is unfenced and answers 200.
    @Test func readyAnswers503UntilRegisteredAndUnfenced() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ready-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let controllerPort = try stablePort()
        func config(_ id: Int32) -> BrokerConfig {
            var config = BrokerConfig()
            config.nodeId = id
            config.listener = BrokerAddress(host: "127.0.0.1", port: 0)
            config.dataDirectory = root + "/node-\(id)"
            config.isController = id == 1
            config.quorumVoters = [1: BrokerAddress(host: "127.0.0.1", port: controllerPort)]
            if id == 1 { config.controllerListener = BrokerAddress(host: "127.0.0.1", port: controllerPort) }
            config.cluster.brokerHeartbeatIntervalMs = 200
            config.metricsListener = BrokerAddress(host: "127.0.0.1", port: 0)
            return config
        }
        var logger = Logger(label: "test.ready")
        logger.logLevel = .error
        for id in [1, 2] { try FileManager.default.createDirectory(atPath: root + "/node-\(id)", withIntermediateDirectories: true) }
        // The brokers stop before the directory goes, whatever happens (a broker whose directory
        // vanishes stops its process).
        var started: [Broker] = []
        do {
            try await Self.readyFlips(config: config, logger: logger, started: &started)
        } catch {
            Issue.record("\(error)")
        }
        for broker in started.reversed() { await broker.shutdown() }
    }

    private static func readyFlips(config: (Int32) -> BrokerConfig, logger: Logger, started: inout [Broker]) async throws {
        let brokerConfig = config(2)
        let brokerLogs = try LogManager(directory: brokerConfig.dataDirectory, defaults: brokerConfig.logDefaults, logger: logger)
        let broker = try await Broker.start(config: brokerConfig, logs: brokerLogs, logger: logger, eventLoopThreads: 1,
                                            waitUntilReady: false)
        started.append(broker)
        let port = broker.metricsAddress!.port!
        let early = try HTTPTestClient.get(port: port, "/health/ready")
        #expect(early.status == 503)
        #expect(early.body.contains("not registered"))
        #expect(try HTTPTestClient.get(port: port, "/health/live").status == 200)
        #expect(PrometheusSamples(try HTTPTestClient.get(port: port, "/metrics").body)["sluice_broker_ready"] == 0)

        let controllerConfig = config(1)
        let controllerLogs = try LogManager(directory: controllerConfig.dataDirectory, defaults: controllerConfig.logDefaults,
                                            logger: logger)
        // Not waiting inside start: a loaded machine may take longer than its timeout; the
        // endpoints say when each is ready.
        let controller = try await Broker.start(config: controllerConfig, logs: controllerLogs, logger: logger, eventLoopThreads: 1,
                                                waitUntilReady: false)
        started.append(controller)
        let deadline = ContinuousClock.now + .seconds(180)
        for readyPort in [port, controller.metricsAddress!.port!] {
            var ready = try await HTTPTestClient.getOffPool(port: readyPort, "/health/ready")
            while ready.status != 200 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                ready = try await HTTPTestClient.getOffPool(port: readyPort, "/health/ready")
            }
            #expect(ready.status == 200 && ready.body == "ready\n", "\(ready.body)")
        }
        let samples = PrometheusSamples(try HTTPTestClient.get(port: port, "/metrics").body)
        #expect(samples["kafka_controller_kafkacontroller_activecontrollercount"] == 0)
        #expect(samples["sluice_broker_ready"] == 1)
    }
}
