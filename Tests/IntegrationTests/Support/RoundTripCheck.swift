import Foundation
import KafkaProtocol
import Testing

/// Checks the output of a client's `roundtrip` scenario (see `Clients/scenarios.py`): offsets,
/// keys, values, headers and timestamps of every record, and what the broker stored.
enum RoundTripCheck {
    static func verify(_ output: ClientRunner.Output, topic: String, count: Int, size: Int, ts: Int64, codec: String,
                       idempotent: Bool) async throws {
        let events = output.records
        let produced = events.first { $0["event"] as? String == "produced" }?["offsets"] as? [Int] ?? []
        let crcs = events.first { $0["event"] as? String == "expected" }?["crcs"] as? [Int] ?? []
        let records = events.filter { $0["event"] as? String == "record" }
        #expect(produced == Array(0..<count), "offsets assigned by the broker, in order")
        try #require(records.count == count, "consumed \(records.count) of \(count): \(output.stderr.suffix(2000))")
        for (i, record) in records.enumerated() {
            #expect(record["offset"] as? Int == i)
            #expect(record["key"] as? String == "k\(i)")
            #expect(record["length"] as? Int == size)
            #expect(record["crc"] as? Int == crcs[i])
            #expect(record["ts"] as? Int == Int(ts) + i)
            #expect(record["headers"] as? [[String]] == [["h", "\(i)"], ["origin", "sluice-test"]])
        }
        // The broker stored the producer's batches as they came: compressed with the codec asked
        // for (clients send a batch uncompressed when compressing would not make it smaller).
        let batches = try await SharedBroker.storedBatches(try await SharedBroker.get(), topic: topic)
        let expected = CompressionCodec(name: codec)
        // (lz4 too: librdkafka before 2.11.1 compresses with it only when FindCoordinator v0 is
        // advertised, which the broker does now that it has consumer groups.)
        #expect(batches.contains { $0.compression == expected }
                && batches.allSatisfy { $0.compression == expected || $0.compression == CompressionCodec.none },
                "codecs stored: \(batches.map { String(describing: $0.compression) })")
        if idempotent {
            #expect(batches.allSatisfy { $0.producerId >= 0 }, "idempotent batches carry a producer id")
        }
    }
}
