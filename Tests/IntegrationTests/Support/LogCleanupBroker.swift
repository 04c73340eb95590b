import Foundation
import KafkaProtocol

/// The broker and client runner of the log cleanup tests (`DeleteRecordsInteropTests`,
/// `RetentionInteropTests`, `CompactionInteropTests`), which drive `Clients/log_cleanup.py`
/// (kafka-python).
///
/// The broker checks retention every 200 ms and its cleaner idles 100 ms between passes, so
/// that background work happens well within the tests' deadlines.
enum LogCleanupBroker {
    static let settings = ["--set", "log.retention.check.interval.ms=200", "--set", "log.cleaner.backoff.ms=100"]

    private static let instance = SharedBrokerCell { try await BrokerProcess.started(extraArguments: settings) }

    /// One broker with the short intervals, shared by the tests that do not restart it.
    static func shared() async throws -> BrokerProcess { try await instance.get() }

    /// Runs a scenario of `log_cleanup.py`; returns its events by name (the last of each name).
    static func run(_ broker: BrokerProcess, _ scenario: String, topic: String,
                    _ extra: [String] = []) async throws -> [String: [String: Any]] {
        let output = try await ClientRunner.python(
            "log_cleanup.py", [scenario, "--bootstrap", broker.bootstrap, "--topic", topic] + extra, timeout: 90)
        var events: [String: [String: Any]] = [:]
        for record in output.records {
            if let name = record["event"] as? String { events[name] = record }
        }
        return events
    }

    /// The `.log` files of partition 0 of `topic`, in offset order.
    static func segmentFiles(_ broker: BrokerProcess, _ topic: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(broker.dataDirectory)/\(topic)-0")) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted()
    }

    /// Every batch of partition 0 of `topic`, fetched raw from `offset` (the log start: a fetch
    /// below it is out of range).
    static func storedBatches(_ broker: BrokerProcess, topic: String, from offset: Int64) async throws -> [RecordBatch] {
        let connection = try await RawKafkaConnection(port: broker.port)
        var batches: [RecordBatch] = []
        var next = offset
        while true {
            let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, topics: [
                .init(topic: topic, partitions: [.init(partition: 0, fetchOffset: next, partitionMaxBytes: 64 << 20)]),
            ])
            let partition = try await connection.roundTrip(request, version: 11).responses[0].partitions[0]
            guard partition.errorCode == 0 else {
                throw BrokerProcess.Failure(description: "fetch of \(topic) at \(next): error \(partition.errorCode)")
            }
            guard case let .bytes(bytes)? = partition.records else { return batches }
            let found = Array(RecordBatchSequence(bytes))
            if found.isEmpty { return batches }
            batches += found
            next = found.last!.nextOffset
        }
    }
}
