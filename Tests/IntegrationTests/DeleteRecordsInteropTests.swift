import Foundation
import Testing

/// DeleteRecords through kafka-python's admin client against `sluice broker`: the low watermark
/// answered, ListOffsets earliest, a fetch below the new start (OFFSET_OUT_OF_RANGE, then the
/// consumer's reset to earliest), -1 for the high watermark, Kafka's errors, and the segment files
/// that go.
@Suite(.onTestThreads) struct DeleteRecordsInteropTests {
    @Test(.enabled(if: Clients.shouldRun(Clients.kafkaPython), "kafka-python is not installed"))
    func deleteRecordsThroughTheAdminClient() async throws {
        let broker = try await LogCleanupBroker.shared()
        let topic = SharedBroker.topic("delete-records")
        let events = try await LogCleanupBroker.run(broker, "delete-records", topic: topic)
        #expect(events["produced"]?["last"] as? Int == 99)
        #expect(events["deleted"]?["low_watermark"] as? Int == 40)
        #expect(events["earliest"]?["offset"] as? Int == 40, "ListOffsets earliest moved")
        #expect(events["below_start"]?["error"] as? String == "OffsetOutOfRangeError", "a fetch below the start: \(events)")
        #expect(events["reset_to_earliest"]?["offsets"] as? [Int] == Array(40..<100))
        #expect(events["deleted_to_end"]?["low_watermark"] as? Int == 100, "-1 deletes up to the high watermark")
        #expect(events["deleted_to_end"]?["earliest"] as? Int == 100)
        #expect(events["past_end"]?["error"] as? String == "OffsetOutOfRangeError")
        #expect(events["compacted"]?["error"] as? String == "PolicyViolationError")
        // Every segment below the new start is gone: one (empty, active) segment file is left.
        #expect(LogCleanupBroker.segmentFiles(broker, topic) == [String(repeating: "0", count: 17) + "100.log"])
    }
}
