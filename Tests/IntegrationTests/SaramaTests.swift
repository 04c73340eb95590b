import Foundation
import Testing

/// sarama (Go; Debian 12 packages 1.22.1, which speaks up to Kafka 2.2's versions without
/// negotiating), built offline from `golang-github-shopify-sarama-dev`: produce and consume with
/// every codec (idempotent, acks=all), offsets by timestamp, topic administration.
@Suite(.serialized, .onTestThreads) struct SaramaTests {
    static let sourceDirectory = ClientRunner.clientsDirectory.appendingPathComponent("sarama")
    static let available = Clients.commandExists("go")
        && FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/Shopify/sarama")

    /// The client binary, built once per test run (by the first test that needs it; the others
    /// await that build).
    static let binary = Task<String, any Error> {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sarama-\(getpid())").path
        let build = try await ClientRunner.run("sh", ["-c", "cd \"$0\" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=\"$1.cache\" go build -o \"$1\" .",
                                                      sourceDirectory.path, output], timeout: 300)
        guard build.status == 0 else { throw ClientRunner.Failure(description: "go build failed:\n\(build.stderr)") }
        return output
    }

    func run(_ scenario: String, topic: String, _ extra: [String] = []) async throws -> ClientRunner.Output {
        let broker = try await SharedBroker.get()
        let output = try await ClientRunner.run(try await Self.binary.value, ["-bootstrap", broker.bootstrap, "-topic", topic] + extra + [scenario])
        guard output.status == 0 else { throw ClientRunner.Failure(description: "sarama \(scenario) failed: \(output.stderr)") }
        return output
    }

    @Test(.enabled(if: Clients.shouldRun(available), "go or Debian's sarama (golang-github-shopify-sarama-dev) is not installed"),
          arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func producesAndConsumesWithEveryCodec(codec: String) async throws {
        let topic = SharedBroker.topic("sarama-\(codec)")
        let ts = recentTimestamp()
        let output = try await run("roundtrip", topic: topic, ["-codec", codec, "-count", "20", "-size", "1000", "-ts", "\(ts)"])
        try await RoundTripCheck.verify(output, topic: topic, count: 20, size: 1000, ts: ts, codec: codec, idempotent: true)
    }

    @Test(.enabled(if: Clients.shouldRun(available), "go or Debian's sarama (golang-github-shopify-sarama-dev) is not installed"))
    func offsetsByTimestampAndAdministration() async throws {
        let ts = recentTimestamp()
        // sarama 1.22 leaves each batch's max timestamp at -1; the broker repairs it as Kafka does.
        let times = try await run("times", topic: SharedBroker.topic("sarama-times"), ["-ts", "\(ts)", "-codec", "gzip"]).records
        #expect(times.first?["offset"] as? Int == 5)
        #expect(times.first?["beyond"] as? Int == -1)
        let events = try await run("admin", topic: SharedBroker.topic("sarama-admin")).records
        func event(_ name: String) -> [String: Any]? { events.first { $0["event"] as? String == name } }
        #expect(event("created")?["present"] as? Bool == true)
        #expect((event("duplicate")?["error"] as? String)?.contains("already exists") == true)
        #expect((event("bad_replication")?["error"] as? String)?.contains("Replication-factor is invalid") == true)
        #expect(event("partitions")?["count"] as? Int == 5)
        #expect(event("deleted")?["present"] as? Bool == false)
    }
}
