import Foundation
import KafkaProtocol
import Testing

/// Compaction in the background of a real `sluice broker`, read back by kafka-python from the
/// beginning: keys written many times (tombstones included, batches mixing stale and latest
/// values) come back once each with their latest value at its original offset, with every codec,
/// and under `compact,delete` retention removes expired keys as well.
@Suite(.onTestThreads) struct CompactionInteropTests {
    /// What a consumer reading a compacted partition from the beginning must see: exactly the
    /// latest record of every key, at the offset it was written (tombstones as null values), in
    /// increasing offsets, with the padding written last all there.
    func checkCompacted(_ events: [String: [String: Any]], broker: BrokerProcess, topic: String, codec: String) async throws {
        let latest = try #require(events["produced"]?["latest"] as? [String: [Any]], "\(events)")
        let records = try #require(events["compacted"]?["records"] as? [[Any]], "\(events)")
        let offsets = records.map { $0[0] as! Int }
        #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 }, "offsets increase")
        let data = records.filter { ($0[1] as? String)?.hasPrefix("key-") == true }
        let expected = latest.map { key, value in [value[0] as! Int, key, value[1] as? String ?? "<null>"] as [AnyHashable] }
            .sorted { ($0[0] as! Int) < ($1[0] as! Int) }
        let seen = data.map { [$0[0] as! Int, $0[1] as! String, $0[2] as? String ?? "<null>"] as [AnyHashable] }
        #expect(seen == expected, "one record per key, the latest, at its offset")
        #expect(expected.contains { $0[2] == "<null>" as AnyHashable }, "some keys end with a tombstone")
        let span = (expected.last![0] as! Int) - (expected.first![0] as! Int) + 1
        #expect(seen.count < span, "gaps where records were removed")
        let pad = try #require(events["produced"]?["pad"] as? [Int])
        #expect(records.filter { ($0[1] as? String)?.hasPrefix("pad-") == true }.map { $0[0] as! Int } == Array(pad[0]...pad[1]))

        // The stored batches: valid, and those the cleaner rewrote (fewer records than offsets)
        // still compressed with the producer's codec, their records readable.
        let earliest = Int64(events["compacted"]?["earliest"] as? Int ?? 0)
        let batches = try await LogCleanupBroker.storedBatches(broker, topic: topic, from: earliest)
        #expect(batches.allSatisfy { (try? $0.validate()) != nil })
        let rewritten = batches.filter { $0.recordCount > 0 && Int($0.recordCount) < Int($0.lastOffsetDelta) + 1 }
        #expect(!rewritten.isEmpty, "the cleaner rewrote batches, keeping some of their records")
        let expectedCodec = try #require(CompressionCodec(name: codec))
        #expect(rewritten.allSatisfy { $0.compression == expectedCodec },
                "rewritten batches keep their codec: \(rewritten.map { String(describing: $0.compression) })")
        #expect(rewritten.allSatisfy { (try? $0.records().count) == Int($0.recordCount) })
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kafkaPython), "kafka-python is not installed"),
          arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func compactionLeavesTheLatestValueOfEachKey(codec: String) async throws {
        let broker = try await LogCleanupBroker.shared()
        let topic = SharedBroker.topic("compact-\(codec)")
        let events = try await LogCleanupBroker.run(broker, "compaction", topic: topic, ["--codec", codec])
        try await checkCompacted(events, broker: broker, topic: topic, codec: codec)
        #expect(events["compacted"]?["earliest"] as? Int == 0, "compaction alone never moves the log start")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kafkaPython), "kafka-python is not installed"))
    func compactDeleteAlsoAppliesRetention() async throws {
        let broker = try await LogCleanupBroker.shared()
        let topic = SharedBroker.topic("compact-delete")
        let events = try await LogCleanupBroker.run(broker, "compaction", topic: topic,
                                              ["--policy", "compact,delete", "--old", "30", "--codec", "zstd"])
        #expect(events["expired"]?["earliest"] as? Int == 30, "retention removed the expired keys: \(events)")
        try await checkCompacted(events, broker: broker, topic: topic, codec: "zstd")
        let records = try #require(events["compacted"]?["records"] as? [[Any]])
        #expect(!records.contains { ($0[1] as? String)?.hasPrefix("old-") == true })
        #expect(events["compacted"]?["earliest"] as? Int == 30)
    }
}
