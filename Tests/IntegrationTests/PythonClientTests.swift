import Foundation
import KafkaProtocol
import Testing

/// confluent-kafka, kafka-python and aiokafka against a real `sluice broker` process: each
/// produces and consumes (keys, headers, timestamps, every codec, 1 MB values, idempotence),
/// looks offsets up by timestamp, manages topics through its admin API, and resets from an
/// out-of-range offset. Consumers assign partitions directly (no groups).
@Suite(.serialized, .onTestThreads) struct PythonClientTests {
    enum Client: String, CaseIterable, CustomTestStringConvertible {
        case confluent, kafkaPython = "kafka_python", aiokafka
        var script: String { "\(rawValue)_client.py" }
        var testDescription: String { rawValue }
        var available: Bool {
            switch self {
            case .confluent: return Clients.confluentKafka
            case .kafkaPython: return Clients.kafkaPython
            case .aiokafka: return Clients.aiokafka
            }
        }
    }

    static let allAvailable = Client.allCases.allSatisfy(\.available)

    func run(_ client: Client, _ scenario: String, topic: String, _ extra: [String] = []) async throws -> ClientRunner.Output {
        let broker = try await SharedBroker.get()
        return try await ClientRunner.python(client.script, [scenario, "--bootstrap", broker.bootstrap, "--topic", topic] + extra)
    }

    /// Produces `count` messages, consumes them, and checks every field of every record.
    func roundTrip(_ client: Client, codec: String, count: Int = 20, size: Int = 100,
                   idempotent: Bool = false, acks: Int = 1) async throws {
        let topic = SharedBroker.topic("\(client.rawValue)-\(codec)")
        let ts = recentTimestamp()
        var extra = ["--codec", codec, "--count", "\(count)", "--size", "\(size)", "--ts", "\(ts)", "--acks", "\(acks)"]
        if idempotent { extra.append("--idempotent") }
        let output = try await run(client, "roundtrip", topic: topic, extra)
        try await RoundTripCheck.verify(output, topic: topic, count: count, size: size, ts: ts, codec: codec,
                                  idempotent: idempotent)
    }

    @Test(.enabled(if: Clients.shouldRun(allAvailable), "a Python Kafka client is not installed"),
          arguments: Client.allCases, ["none", "gzip", "snappy", "lz4", "zstd"])
    func producesAndConsumesWithEveryCodec(_ client: Client, codec: String) async throws {
        try await roundTrip(client, codec: codec, size: 1000)
    }

    @Test(.enabled(if: Clients.shouldRun(allAvailable), "a Python Kafka client is not installed"),
          arguments: Client.allCases)
    func oneMegabyteMessages(_ client: Client) async throws {
        try await roundTrip(client, codec: "none", count: 3, size: 1_000_000)
    }

    @Test(.enabled(if: Clients.shouldRun(allAvailable), "a Python Kafka client is not installed"),
          arguments: Client.allCases)
    func idempotentProducer(_ client: Client) async throws {
        try await roundTrip(client, codec: "lz4", count: 50, size: 1000, idempotent: true, acks: -1)
    }

    @Test(.enabled(if: Clients.shouldRun(allAvailable), "a Python Kafka client is not installed"),
          arguments: Client.allCases)
    func offsetsByTimestamp(_ client: Client) async throws {
        let ts = recentTimestamp()
        let output = try await run(client, "times", topic: SharedBroker.topic("times"), ["--ts", "\(ts)", "--codec", "gzip"])
        let found = output.records.first { $0["event"] as? String == "offset_for_time" }
        #expect(found?["offset"] as? Int == 5, "the first record at or after ts+4500 is the sixth: \(output.stdout)")
        #expect(found?["beyond"] is NSNull, "no offset after the last timestamp")
    }

    @Test(.enabled(if: Clients.shouldRun(allAvailable), "a Python Kafka client is not installed"),
          arguments: Client.allCases)
    func topicAdministration(_ client: Client) async throws {
        let topic = SharedBroker.topic("admin")
        let events = try await run(client, "admin", topic: topic).records
        func event(_ name: String) -> [String: Any]? { events.first { $0["event"] as? String == name } }
        #expect(event("created")?["topics"] as? [String] == [topic])
        let duplicate = (event("duplicate")?["error"] as? String)?.lowercased().replacingOccurrences(of: "_", with: "")
        #expect(duplicate?.contains("topicalreadyexists") == true, "\(events)")
        let replication = (event("bad_replication")?["error"] as? String)?.lowercased().replacingOccurrences(of: "_", with: "")
        #expect(replication?.contains("invalidreplicationfactor") == true, "\(events)")
        #expect(event("partitions")?["count"] as? Int == 5)
        #expect(event("deleted")?["present"] as? Bool == false)
    }

    @Test(.enabled(if: Clients.shouldRun(allAvailable), "a Python Kafka client is not installed"),
          arguments: Client.allCases)
    func outOfRangeOffsetResetsToEarliest(_ client: Client) async throws {
        let events = try await run(client, "reset", topic: SharedBroker.topic("reset")).records
        #expect(events.first { $0["event"] as? String == "earliest" }?["offsets"] as? [Int] == [0, 1, 2, 3, 4])
    }
}

extension CompressionCodec {
    init?(name: String) {
        switch name {
        case "none": self = .none
        case "gzip": self = .gzip
        case "snappy": self = .snappy
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }
}
