import Foundation
import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

@Suite struct CompactionTests {
    static let tp = TopicPartition("compacted", 0)

    static func config(segmentBytes: Int32 = 1024) -> LogConfig {
        var config = TestLog.config(segmentBytes: segmentBytes, indexInterval: 128)
        config.cleanupPolicy = .compact
        config.deleteRetentionMs = 1_000
        return config
    }

    /// (offset, key, value) of every record in the log.
    static func records(_ log: any PartitionLog) throws -> [(Int64, String, String?)] {
        try Fetched.read(log, from: log.logStartOffset).flatMap { batch in
            try batch.records().map { ($0.offset, $0.key!.string, $0.value?.string) }
        }
    }

    /// Appends `rounds` updates of keys k0...k(keys-1), one record per batch; returns the latest
    /// offset and value per key.
    static func fill(_ log: any PartitionLog, keys: Int, rounds: Int, timestamp: Int64 = 1_000) throws -> [String: (Int64, String)] {
        var latest: [String: (Int64, String)] = [:]
        for round in 0..<rounds {
            for k in 0..<keys {
                let value = "v\(round)-" + String(repeating: "x", count: 40)
                let info = try log.appendAsLeader([Batches.keyed([("k\(k)", value)], timestamp: timestamp)], leaderEpoch: 0, now: 0)
                latest["k\(k)"] = (info.firstOffset, value)
            }
        }
        log.updateHighWatermark(log.logEndOffset)
        return latest
    }

    @Test func theLatestRecordPerKeySurvivesAtItsOffset() throws {
        let dir = TempDirectory("compact")
        let manager = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: Self.config())
        let latest = try Self.fill(log, keys: 5, rounds: 20)
        let before = try Self.records(log)
        let segmentsBefore = (log as! DiskPartitionLog).segmentCount
        let sizeBefore = log.sizeInBytes
        let logEnd = log.logEndOffset
        // A fetch in flight while the cleaner swaps segments keeps reading the old files.
        let inFlight = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: .max, minOneBatch: true)
        #expect(try manager.compact(Self.tp, now: 10_000))
        let after = try Self.records(log)
        #expect(log.logEndOffset == logEnd)
        #expect(log.sizeInBytes < sizeBefore / 2)
        _ = segmentsBefore
        // Offsets increase, every survivor is an original record at its original offset.
        #expect(zip(after, after.dropFirst()).allSatisfy { $0.0 < $1.0 })
        let original = Dictionary(uniqueKeysWithValues: before.map { ($0.0, $0) })
        for r in after { #expect(original[r.0]?.1 == r.1 && original[r.0]?.2 == r.2) }
        // Each key's latest record is there; older ones are gone except in the uncleaned active segment.
        let activeBase = (log as! DiskPartitionLog).segmentBaseOffsets.last!
        for (key, (offset, value)) in latest {
            #expect(after.contains { $0.0 == offset && $0.1 == key && $0.2 == value })
            #expect(after.filter { $0.1 == key && $0.0 < activeBase }.count <= 1)
        }
        #expect(try Fetched.batches(inFlight).count == before.count)
        // Reads from any offset, including removed ones, land on the next surviving batch.
        for offset in Int64(0)..<logEnd {
            let first = try #require(try Fetched.read(log, from: offset, maxBytes: 1).first)
            #expect(first.lastOffset >= offset)
            #expect(after.first { $0.0 >= offset }.map { first.baseOffset <= $0.0 } ?? false)
        }
        // The result survives restarts, clean or not.
        manager.shutdown()
        let reopened = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let again = try #require(reopened.log(for: Self.tp))
        #expect(try Self.records(again).map(\.0) == after.map(\.0))
        for l in reopened.diskLogs.values { l.closeWithoutFlush() }
        let unclean = try DiskPartitionLog.open(directory: dir.sub("compacted-0"), topicPartition: Self.tp,
                                                config: Self.config(), logger: TestLog.logger, recoveryPoint: 0)
        #expect(try Self.records(unclean).map(\.0) == after.map(\.0))
    }

    @Test func tombstonesGoAfterDeleteRetention() throws {
        let dir = TempDirectory("tombstones")
        let manager = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: Self.config())
        _ = try Self.fill(log, keys: 3, rounds: 5, timestamp: 1_000)
        _ = try log.appendAsLeader([Batches.keyed([("k1", nil)], timestamp: 2_000)], leaderEpoch: 0, now: 0)
        _ = try Self.fill(log, keys: 1, rounds: 30, timestamp: 3_000)  // k0 only: pushes k1's tombstone out of the active segment
        try manager.compact(Self.tp, now: 2_500)
        var after = try Self.records(log)
        #expect(after.filter { $0.1 == "k1" }.map(\.2) == [nil], "the tombstone stays (and hides k1's older values)")
        // Once cleaned and older than delete.retention.ms (1 s), the tombstone itself goes.
        try manager.compact(Self.tp, now: 2_500)
        #expect(try Self.records(log).contains { $0.1 == "k1" }, "not yet past delete.retention.ms")
        try manager.compact(Self.tp, now: 60_000)
        after = try Self.records(log)
        #expect(!after.contains { $0.1 == "k1" })
        #expect(after.contains { $0.1 == "k2" })
        manager.shutdown()
    }

    @Test func aProducersLastBatchKeepsItsHeader() throws {
        let dir = TempDirectory("producer")
        let manager = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: Self.config())
        var builder = RecordBatchBuilder(producerId: 9, producerEpoch: 0, baseSequence: 0)
        builder.append(key: ByteBuffer(string: "k0"), value: ByteBuffer(string: "from-producer"), timestamp: 1_000)
        let producerBatch = try builder.build()
        let first = try log.appendAsLeader([producerBatch], leaderEpoch: 0, now: 0)
        _ = try Self.fill(log, keys: 2, rounds: 30)  // supersedes k0 of the producer batch
        try manager.compact(Self.tp, now: 10_000)
        let batches = try Fetched.read(log, from: 0)
        let kept = try #require(batches.first { $0.baseOffset == first.firstOffset })
        #expect(kept.recordCount == 0 && kept.producerId == 9 && kept.baseSequence == 0)
        // Its sequence range is still known: a retry of it is a duplicate.
        manager.shutdown()
        let reopened = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let again = try #require(reopened.log(for: Self.tp))
        #expect(throws: LogAppendError.duplicate(LogAppendInfo(firstOffset: 0, lastOffset: 0, logAppendTime: -1,
                                                               logStartOffset: 0, recordCount: 1, byteCount: 0))) {
            try again.appendAsLeader([producerBatch], leaderEpoch: 0, now: 0)
        }
        reopened.shutdown()
    }

    @Test func batchesThatCannotBeDecodedHereAreKeptWhole() throws {
        let dir = TempDirectory("codec")
        let manager = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: Self.config())
        // A batch marked with a codec whose bytes this build cannot decode (a codec it lacks, or
        // data a leader passed on): a follower stores it as it is.
        var bytes = Batches.keyed([("k0", "opaque"), ("k1", "opaque")]).bytes
        bytes.setInteger(Int16(CompressionCodec.zstd.rawValue), at: bytes.readerIndex + 21)
        bytes.setInteger(Int32(0), at: bytes.readerIndex + 12)
        let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        bytes.setInteger(crc, at: bytes.readerIndex + 17)
        let opaque = try RecordBatch(bytes: bytes)
        try opaque.validate()
        let info = try log.appendAsFollower([opaque])
        _ = try Self.fill(log, keys: 2, rounds: 20)
        try manager.compact(Self.tp, now: 10_000)
        let batches = try Fetched.read(log, from: 0)
        let kept = try #require(batches.first)
        #expect(kept.baseOffset == info.firstOffset && kept.recordCount == 2 && kept.crc == opaque.crc)
        // Uncompressed records that newer ones superseded are gone.
        #expect(batches.count < 20)
        manager.shutdown()
    }

    @Test func aSmallDedupeBufferCleansInSeveralPasses() throws {
        let dir = TempDirectory("passes")
        let manager = try LogManager(directory: dir.path, defaults: Self.config(), logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: Self.config())
        let latest = try Self.fill(log, keys: 40, rounds: 6)
        var settings = BackgroundSettings()
        settings.cleanerDedupeBufferSize = 20 * (KeyOffsetMap.entryOverhead + 3)  // 20 keys at a time
        var passes = 0
        while try manager.compact(Self.tp, now: 10_000, settings: settings), passes < 20 { passes += 1 }
        #expect(passes > 1)
        let after = try Self.records(log)
        let activeBase = (log as! DiskPartitionLog).segmentBaseOffsets.last!
        for (key, (offset, _)) in latest {
            #expect(after.contains { $0.0 == offset })
            #expect(after.filter { $0.1 == key && $0.0 < activeBase }.count <= 1)
        }
        manager.shutdown()
    }

    @Test func anInterruptedSwapIsCompletedByTheNextStart() throws {
        let dir = TempDirectory("swap")
        let original = dir.sub("original")
        let copy = dir.sub("copy")
        let manager = try LogManager(directory: original, defaults: Self.config(segmentBytes: 2048), logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: Self.config(segmentBytes: 2048))
        _ = try Self.fill(log, keys: 4, rounds: 25)
        manager.shutdown()
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        let compacting = try LogManager(directory: original, defaults: Self.config(segmentBytes: 2048), logger: TestLog.logger)
        let before = (compacting.diskLog(for: Self.tp)!).segmentBaseOffsets
        // Larger segments from now on, so that the cleaner merges several into one.
        compacting.diskLog(for: Self.tp)!.updateConfig(Self.config(segmentBytes: 64 * 1024))
        try compacting.compact(Self.tp, now: 10_000)
        let cleanedLog = compacting.diskLog(for: Self.tp)!
        let after = cleanedLog.segmentBaseOffsets
        let expected = try Self.records(cleanedLog).map(\.0)
        // The first cleaned group replaced the segments up to the next surviving base.
        let end = after[1]
        let replaced = before.filter { $0 < end }
        try #require(replaced.count > 1)
        compacting.shutdown()
        // Recreate "crashed after the swap file was written and one old segment was removed".
        let partition = "/compacted-0/"
        try FileManager.default.copyItem(atPath: original + partition + SegmentFiles.digits(0) + ".log",
                                         toPath: SegmentFiles.swapPath(copy + partition.dropLast().description, base: 0, end: end))
        try Posix.unlinkIfPresent(copy + partition + SegmentFiles.digits(replaced[1]) + ".log")
        try? Posix.unlinkIfPresent(copy + "/" + LogManager.cleanShutdownMarker)
        let recovered = try LogManager(directory: copy, defaults: Self.config(segmentBytes: 2048), logger: TestLog.logger)
        let log2 = try #require(recovered.log(for: Self.tp))
        let got = try Self.records(log2).map(\.0)
        // Segments after the group were not cleaned in the copy, so compare the group's range.
        #expect(got.filter { $0 < end } == expected.filter { $0 < end })
        #expect(!(try Posix.listDirectory(copy + partition)).contains { $0.hasSuffix(".swap") })
        recovered.shutdown()
    }

    @Test func theBackgroundCleanerCompactsDirtyLogs() throws {
        let dir = TempDirectory("background")
        var config = Self.config()
        config.minCleanableDirtyRatio = 0.1
        let manager = try LogManager(directory: dir.path, defaults: config, logger: TestLog.logger)
        let log = try manager.getOrCreateLog(for: Self.tp, config: config)
        _ = try Self.fill(log, keys: 3, rounds: 30)
        let sizeBefore = log.sizeInBytes
        var settings = BackgroundSettings()
        settings.cleanerBackoffMs = 20
        manager.startBackgroundTasks(settings)
        defer { manager.shutdown() }
        let deadline = Date().addingTimeInterval(20)
        while log.sizeInBytes >= sizeBefore / 2 && Date() < deadline { usleep(10_000) }
        #expect(log.sizeInBytes < sizeBefore / 2)
    }
}
