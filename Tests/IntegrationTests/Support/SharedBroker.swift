import Foundation
import KafkaProtocol
import NIOCore

/// One broker process shared by the interop suites (started on first use, killed with the test
/// process through `--exit-with-parent`), and helpers to look at what it stored.
enum SharedBroker {
    nonisolated(unsafe) private static var instance: BrokerProcess?
    private static let lock = NSLock()

    static func get() throws -> BrokerProcess {
        lock.lock()
        defer { lock.unlock() }
        if let instance, instance.isRunning { return instance }
        let broker = try BrokerProcess()
        try broker.start()
        instance = broker
        return broker
    }

    /// A topic name no other test uses.
    static func topic(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The batches stored in partition 0 of `topic`, fetched raw (to check codecs and offsets).
    static func storedBatches(_ broker: BrokerProcess, topic: String) throws -> [RecordBatch] {
        try storedBatchesOn(port: broker.port, topic: topic, partition: 0)
    }

    /// Every batch of a partition, fetched raw from offset 0.
    static func storedBatchesOn(port: Int, topic: String, partition: Int32) throws -> [RecordBatch] {
        let connection = try RawKafkaConnection(port: port)
        var batches: [RecordBatch] = []
        var offset: Int64 = 0
        while true {
            let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, topics: [
                .init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: 64 << 20)]),
            ])
            let response = try connection.roundTrip(request, version: 11)
            guard case let .bytes(bytes)? = response.responses.first?.partitions.first?.records else { return batches }
            let found = Array(RecordBatchSequence(bytes))
            if found.isEmpty { return batches }
            batches += found
            offset = found.last!.nextOffset
        }
    }
}

/// Milliseconds since the epoch, a minute ago: timestamps recent enough that retention keeps them.
func recentTimestamp() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) - 60_000 }
