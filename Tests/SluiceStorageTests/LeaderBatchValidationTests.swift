import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

/// The log validates what a leader appends (``LeaderBatchValidation``): a caller that skips every
/// check still cannot store a batch that a later recovery would stop at, or one that breaks the
/// offset arithmetic, and the errors are the codes a producer understands.
@Suite struct LeaderBatchValidationTests {
    /// `batch` with `body` applied to its bytes, its CRC rewritten (unless `keepCRC`).
    static func patched(_ batch: RecordBatch, keepCRC: Bool = false, _ body: (inout ByteBuffer, Int) -> Void) throws -> RecordBatch {
        var bytes = ByteBufferAllocator().buffer(capacity: batch.totalSize)
        bytes.writeImmutableBuffer(batch.bytes)
        body(&bytes, bytes.readerIndex)
        if !keepCRC {
            let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
            bytes.setInteger(crc, at: bytes.readerIndex + 17)
        }
        return try RecordBatch(bytes: bytes)
    }

    static func refusal(_ log: DiskPartitionLog, _ batches: [RecordBatch]) -> LogAppendError? {
        do {
            _ = try log.appendAsLeader(batches, leaderEpoch: 0, now: 0)
            return nil
        } catch let error as LogAppendError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    /// One small batch (the single-batch write path) and two batches (the general one).
    @Test(arguments: [1, 2])
    func refusesWhatWouldBreakTheLog(batchCount: Int) throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        func appending(_ bad: RecordBatch) -> [RecordBatch] {
            batchCount == 1 ? [bad] : [Batches.make(["fine"]), bad]
        }
        let good = Batches.make(["a", "b"])

        let corrupt = try Self.patched(good, keepCRC: true) { bytes, start in
            bytes.setInteger(UInt8(0xFF), at: start + bytes.readableBytes - 1)
        }
        #expect(Self.refusal(log, appending(corrupt))?.errorCode == .corruptMessage)

        let miscounted = try Self.patched(good) { bytes, start in bytes.setInteger(Int32(3), at: start + 57) }
        #expect(Self.refusal(log, appending(miscounted))?.errorCode == .invalidRecord)

        let control = try Self.patched(good) { bytes, start in bytes.setInteger(Int16(0x20), at: start + 21) }
        #expect(Self.refusal(log, appending(control)) == .invalidBatch(.invalidRecord("clients cannot produce control batches")))

        let transactional = try Self.patched(good) { bytes, start in bytes.setInteger(Int16(0x10), at: start + 21) }
        #expect(Self.refusal(log, appending(transactional))?.errorCode == .invalidRecord)

        let oldMagic = try Self.patched(good) { bytes, start in bytes.setInteger(Int8(1), at: start + 16) }
        #expect(Self.refusal(log, appending(oldMagic))?.errorCode == .unsupportedForMessageFormat)

        #expect(Self.refusal(log, [])?.errorCode == .invalidRecord)
        #expect(log.logEndOffset == 0, "nothing of a refused append is written")

        _ = try log.appendAsLeader(appending(good), leaderEpoch: 0, now: 0)
        let stored = try Fetched.read(log, from: 0)
        for batch in stored { try batch.validateProduced() }
        #expect(log.logEndOffset == (batchCount == 1 ? 2 : 3))
    }

    /// sarama before 1.24 leaves the max timestamp at -1; the time index would never find the
    /// records, so the log computes it from the records (and rewrites the CRC), as Kafka does.
    @Test func repairsAMissingMaxTimestamp() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        let batch = Batches.make(["a", "b", "c"], timestamp: 5_000, timestampStep: 10)
        let unset = try Self.patched(batch) { bytes, start in bytes.setInteger(Int64(-1), at: start + 35) }
        #expect(unset.maxTimestamp == -1)
        _ = try log.appendAsLeader([unset], leaderEpoch: 0, now: 0)
        let stored = try #require(try Fetched.read(log, from: 0).first)
        try stored.validate()
        #expect(stored.maxTimestamp == 5_020)
        #expect(try log.offset(forTimestamp: 5_015)?.offset == 2)
    }
}
