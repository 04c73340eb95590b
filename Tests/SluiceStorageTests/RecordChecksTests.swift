import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import Testing

/// Records refused one by one (KIP-467): a keyless record on a compacted topic, a create-time
/// timestamp outside `message.timestamp.before/after.max.ms`; each named by its index in its
/// batch, Kafka's codes and messages, nothing appended.
@Suite struct RecordChecksTests {
    static func rejected(_ config: LogConfig, _ batches: [RecordBatch], now: Int64 = 1_000_000) -> RejectedRecords? {
        do {
            _ = try LeaderBatchValidation.validate(batches, config: config, now: now, partition: "t-0")
            return nil
        } catch LogAppendError.recordsRejected(let rejected) {
            return rejected
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func keylessRecordsOfACompactedTopicAreNamed() throws {
        var config = LogConfig()
        config.cleanupPolicy = .compact
        let keys: [String?] = (0..<20).map { $0 % 10 == 0 ? nil : "k\($0)" }
        let batch = Batches.make((0..<20).map { "v\($0)" }, keys: keys)
        let rejected = try #require(Self.rejected(config, [batch]))
        #expect(rejected.errorCode == .invalidRecord)
        #expect(rejected.records.map(\.batchIndex) == [0, 10])
        #expect(rejected.records[0].message == "Compacted topic cannot accept message without key in topic partition t-0.")
        #expect(rejected.message.hasPrefix("One or more records have been rejected due to 2 record errors in total"))
        // Compressed batches are checked the same way.
        var builder = RecordBatchBuilder(compression: .zstd)
        for i in 0..<5 { builder.append(key: i == 3 ? nil : ByteBuffer(string: "k"), value: ByteBuffer(string: "v"), timestamp: 1) }
        #expect(Self.rejected(config, [try builder.build()])?.records.map(\.batchIndex) == [3])
        // Keys everywhere, or a delete-policy topic: accepted.
        #expect(Self.rejected(config, [Batches.keyed([("a", "1"), ("b", nil)])]) == nil)
        #expect(Self.rejected(LogConfig(), [batch]) == nil)
    }

    @Test func timestampsOutsideTheLimitsAreNamed() throws {
        var config = LogConfig()
        config.messageTimestampBeforeMaxMs = 1_000
        config.messageTimestampAfterMaxMs = 500
        let now: Int64 = 1_000_000
        // Records at now-2000, now, now+1000, now-1000 (the bound itself).
        var builder = RecordBatchBuilder()
        for ts in [now - 2_000, now, now + 1_000, now - 1_000] {
            builder.append(key: nil, value: ByteBuffer(string: "v"), timestamp: ts)
        }
        let rejected = try #require(Self.rejected(config, [try builder.build()], now: now))
        #expect(rejected.errorCode == .invalidTimestamp)
        #expect(rejected.records.map(\.batchIndex) == [0, 2])
        #expect(rejected.records[0].message == "Timestamp 998000 of message with offset 0 is out of range. The timestamp should be within [999000, 1000500]")
        #expect(rejected.message == "One or more records have been rejected due to invalid timestamp")

        // The deprecated difference bounds both sides when they are unbounded.
        var deprecated = LogConfig()
        try deprecated.set("message.timestamp.difference.max.ms", to: "100")
        #expect(Self.rejected(deprecated, [Batches.make(["a"], timestamp: now + 200)], now: now)?.records.map(\.batchIndex) == [0])
        #expect(Self.rejected(deprecated, [Batches.make(["a"], timestamp: now + 50)], now: now) == nil)
        // LogAppendTime topics overwrite timestamps: nothing to check.
        config.messageTimestampType = "LogAppendTime"
        #expect(Self.rejected(config, [Batches.make(["a"], timestamp: 1)], now: now) == nil)
    }

    @Test func deprecatedTopicConfigsAreAcceptedAndKept() throws {
        var config = LogConfig()
        try config.set("message.format.version", to: "0.10.2")
        try config.set("message.downconversion.enable", to: "false")
        #expect(config.value(of: "message.format.version") == "0.10.2")
        #expect(config.value(of: "message.downconversion.enable") == "false")
        for version in ["2.8", "3.0-IV1", "0.10.0"] {
            #expect(throws: Never.self) { try config.set("message.format.version", to: version) }
        }
        #expect(throws: StorageError.self) { try config.set("message.format.version", to: "banana") }
        #expect(throws: StorageError.self) { try config.set("no.such.config", to: "1") }
    }
}
