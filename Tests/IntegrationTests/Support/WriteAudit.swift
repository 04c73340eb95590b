import Foundation
import Testing

/// `Clients/partition_client.py` as a test sees it: an idempotent `acks=all` confluent-kafka
/// producer writing to every partition of a topic until told to stop, recording where each
/// acknowledged record landed, and a read-back that every acknowledged record is there, at that
/// offset, once (what `sluice verify` checks). ``with(cluster:topic:_:)`` stops the producer on
/// every path.
final class WriteAudit: Sendable {
    let directory: String
    var stopFile: String { directory + "/stop" }
    var ackedFile: String { directory + "/acked" }
    private let producer: Task<ClientRunner.Output, any Error>

    private init(directory: String, producer: Task<ClientRunner.Output, any Error>) {
        self.directory = directory
        self.producer = producer
    }

    /// `partition`: write to that partition only (all of them round robin by default).
    static func with<T>(bootstrap: String, topic: String, partition: Int32? = nil, _ body: (WriteAudit) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-audit-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let producer = Task {
            try await ClientRunner.python("partition_client.py", ["produce", bootstrap, topic, directory + "/stop", directory + "/acked"]
                                                                  + (partition.map { [String($0)] } ?? []), timeout: 300)
        }
        return try await withResource(WriteAudit(directory: directory, producer: producer), stop: { audit in
            _ = FileManager.default.createFile(atPath: audit.stopFile, contents: nil)
            _ = try? await audit.producer.value
        }, body)
    }

    /// The acknowledgements so far (of `partition`, or of all).
    func acknowledged(partition: Int32? = nil) -> Int {
        let text = (try? String(contentsOfFile: ackedFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").reduce(0) { count, line in
            let parts = line.split(separator: " ")
            guard parts.count == 4 else { return count }
            return partition.map { Int32(parts[1]) == $0 } ?? true ? count + 1 : count
        }
    }

    /// Waits until `partition` (or the topic) has `more` acknowledgements beyond now; the seconds it took.
    @discardableResult
    func awaitProgress(_ more: Int, partition: Int32? = nil, seconds: Double, _ what: String) async throws -> Double {
        let start = acknowledged(partition: partition)
        return try await ClusterHarness.waitFor(what, seconds: seconds) { self.acknowledged(partition: partition) >= start + more }
    }

    /// Tells the producer to stop and returns its statistics once every record is answered.
    func stop() async throws -> [String: Any] {
        _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
        return try #require(try await producer.value.records.last)
    }

    /// Reads the topic back (from the replicas in `rack` when given, KIP-392).
    func check(bootstrap: String, topic: String, rack: String? = nil) async throws -> [String: Any] {
        let output = try await ClientRunner.python("partition_client.py", ["check", bootstrap, topic, ackedFile] + (rack.map { [$0] } ?? []),
                                                   timeout: 120)
        return try #require(output.records.last)
    }
}
