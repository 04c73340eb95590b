import KafkaProtocol
@testable import SluiceStorage
import Testing

@Suite struct TimestampTests {
    /// 30 batches of 3 records, timestamps 1000, 1010, 1020, ... (10 ms apart per record).
    func filledLog(_ dir: TempDirectory) throws -> DiskPartitionLog {
        let log = try TestLog.open(dir.path, config: TestLog.config(segmentBytes: 1200, indexInterval: 150))
        for i in 0..<30 {
            let batch = Batches.make(["a\(i)", "b\(i)", "c\(i)"], timestamp: 1_000 + Int64(i) * 30, timestampStep: 10)
            _ = try log.appendAsLeader([batch], leaderEpoch: Int32(i / 10), now: 0)
        }
        return log
    }

    @Test func findsTheFirstRecordAtOrAfterATimestamp() throws {
        let dir = TempDirectory()
        let log = try filledLog(dir)
        #expect(log.segmentCount >= 3)
        #expect(try log.offset(forTimestamp: 0) == TimestampAndOffset(timestamp: 1_000, offset: 0, leaderEpoch: 0))
        #expect(try log.offset(forTimestamp: 1_000)?.offset == 0)
        #expect(try log.offset(forTimestamp: 1_001)?.offset == 1)
        #expect(try log.offset(forTimestamp: 1_020)?.offset == 2)
        // Record k (offset k) has timestamp 1000 + 10k.
        for k in Int64(0)..<90 {
            let found = try #require(try log.offset(forTimestamp: 1_000 + 10 * k - 5))
            #expect(found.offset == k && found.timestamp == 1_000 + 10 * k)
            #expect(found.leaderEpoch == Int32(k / 30))
        }
        #expect(try log.offset(forTimestamp: 1_000 + 10 * 89 + 1) == nil)
    }

    @Test func answersTheSpecialTimestamps() throws {
        let dir = TempDirectory()
        let log = try filledLog(dir)
        #expect(try log.offset(forTimestamp: -1) == TimestampAndOffset(timestamp: -1, offset: 90, leaderEpoch: 2))
        #expect(try log.offset(forTimestamp: -2) == TimestampAndOffset(timestamp: -1, offset: 0, leaderEpoch: 0))
        #expect(try log.offset(forTimestamp: -3) == TimestampAndOffset(timestamp: 1_890, offset: 89, leaderEpoch: 2))
    }

    @Test func skipsRecordsBelowTheLogStart() throws {
        let dir = TempDirectory()
        let log = try filledLog(dir)
        log.updateHighWatermark(90)
        try log.deleteRecords(before: 40)
        #expect(try log.offset(forTimestamp: 0)?.offset == 40)
        #expect(try log.offset(forTimestamp: -2)?.offset == 40)
    }

    @Test func outOfOrderTimestampsStillFindTheFirstAtOrAfter() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path, config: TestLog.config(indexInterval: 0))
        for ts: Int64 in [500, 100, 900, 300, 700] {
            _ = try log.appendAsLeader([Batches.make(["x"], timestamp: ts)], leaderEpoch: 0, now: 0)
        }
        #expect(try log.offset(forTimestamp: 200)?.offset == 0)
        #expect(try log.offset(forTimestamp: 600)?.offset == 2)
        #expect(try log.offset(forTimestamp: 901) == nil)
    }
}
