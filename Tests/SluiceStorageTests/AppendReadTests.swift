import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

@Suite struct AppendReadTests {
    @Test func leaderAppendAssignsOffsetsAndEpochs() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        let a = try log.appendAsLeader([Batches.make(["a", "b", "c"])], leaderEpoch: 3, now: 5_000)
        let b = try log.appendAsLeader([Batches.make(["d"]), Batches.make(["e", "f"])], leaderEpoch: 4, now: 5_001)
        #expect(a.firstOffset == 0 && a.lastOffset == 2 && a.recordCount == 3 && a.logAppendTime == -1)
        #expect(b.firstOffset == 3 && b.lastOffset == 5 && b.recordCount == 3)
        #expect(log.logEndOffset == 6)
        let batches = try Fetched.read(log, from: 0)
        #expect(batches.map(\.baseOffset) == [0, 3, 4])
        #expect(batches.map(\.partitionLeaderEpoch) == [3, 4, 4])
        #expect(try batches.flatMap { try $0.records().map { $0.value!.string } } == ["a", "b", "c", "d", "e", "f"])
        #expect(try batches[2].records().map(\.offset) == [4, 5])
        #expect(log.latestLeaderEpoch == 4)
        #expect(log.leaderEpochs.map(\.epoch) == [3, 4])
        #expect(log.leaderEpochs.map(\.startOffset) == [0, 3])
    }

    /// One small batch (patched in the segment's write buffer), two batches and one batch past
    /// 16 KiB (headers rewritten beside the original bodies) take different write paths.
    @Test(arguments: [[20], [20, 20], [20_000]])
    func logAppendTimeRewritesTimestampAndCRC(sizes: [Int]) throws {
        let dir = TempDirectory()
        var config = TestLog.config()
        config.messageTimestampType = "LogAppendTime"
        let log = try TestLog.open(dir.path, config: config)
        let info = try log.appendAsLeader(sizes.map { Batches.sized($0, count: 2, timestamp: 10) }, leaderEpoch: 0, now: 777_000)
        #expect(info.logAppendTime == 777_000)
        let batches = try Fetched.read(log, from: 0)
        #expect(batches.count == sizes.count)
        for batch in batches {
            try batch.validate()
            #expect(batch.attributes.timestampType == .logAppendTime)
            #expect(batch.maxTimestamp == 777_000)
            #expect(try batch.records().map(\.timestamp) == [777_000, 777_000])
        }
    }

    @Test func rejectsBatchesTheLogCannotTake() throws {
        let dir = TempDirectory()
        var config = TestLog.config()
        config.maxMessageBytes = 500
        let log = try TestLog.open(dir.path, config: config)
        #expect(throws: LogAppendError.batchTooLarge(size: Batches.sized(2000).totalSize, limit: 500)) {
            try log.appendAsLeader([Batches.sized(2000)], leaderEpoch: 0, now: 0)
        }
        var compacted = TestLog.config()
        compacted.cleanupPolicy = .compact
        log.updateConfig(compacted)
        #expect(throws: LogAppendError.self) { try log.appendAsLeader([Batches.make(["no key"])], leaderEpoch: 0, now: 0) }
        _ = try log.appendAsLeader([Batches.keyed([("k", "v")])], leaderEpoch: 0, now: 0)
        #expect(log.logEndOffset == 1)
    }

    @Test func readLimitsCutAtBatchBoundaries() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path, config: TestLog.config(indexInterval: 0))
        for i in 0..<10 { _ = try log.appendAsLeader([Batches.sized(200, count: 2, tag: "\(i)")], leaderEpoch: 0, now: 0) }
        let size = Batches.sized(200, count: 2).totalSize
        // Two and a half batches' worth: two whole batches.
        #expect(try Fetched.read(log, from: 0, maxBytes: size * 5 / 2).map(\.baseOffset) == [0, 2])
        // From inside a batch: the batch holding the offset comes first.
        #expect(try Fetched.read(log, from: 5, maxBytes: size * 2).map(\.baseOffset) == [4, 6])
        // KIP-74: too small a limit still returns the first batch whole, unless minOneBatch is off.
        #expect(try Fetched.read(log, from: 6, maxBytes: 10).map(\.baseOffset) == [6])
        #expect(try Fetched.read(log, from: 6, maxBytes: 10, minOneBatch: false).isEmpty)
        // maxOffset (the high watermark for consumers) excludes batches reaching it.
        #expect(try Fetched.read(log, from: 0, maxOffset: 7).map(\.baseOffset) == [0, 2, 4])
        #expect(try Fetched.read(log, from: 8, maxOffset: 8).isEmpty)
        // At the log end: nothing; past it or below the start: out of range.
        #expect(try Fetched.read(log, from: 20).isEmpty)
        #expect(throws: StorageError.offsetOutOfRange(requested: 21, logStart: 0, logEnd: 20)) {
            _ = try log.read(from: 21, maxBytes: 100, maxOffset: 100, minOneBatch: true)
        }
        #expect(throws: StorageError.offsetOutOfRange(requested: -1, logStart: 0, logEnd: 20)) {
            _ = try log.read(from: -1, maxBytes: 100, maxOffset: 100, minOneBatch: true)
        }
    }

    @Test func segmentsRollBySizeAndReadsSpanThem() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path, config: TestLog.config(segmentBytes: 4096, indexInterval: 512))
        for i in 0..<40 { _ = try log.appendAsLeader([Batches.sized(300, tag: "\(i % 10)")], leaderEpoch: 0, now: 0) }
        #expect(log.segmentCount > 3)
        #expect(log.segmentBaseOffsets.first == 0)
        let result = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: .max, minOneBatch: true)
        if case .concatenation = result.records {} else { Issue.record("a read across segments should be a concatenation") }
        let all = try Fetched.batches(result)
        #expect(all.map(\.baseOffset) == Array(0..<40))
        // Every offset finds its batch through the indexes.
        for offset in Int64(0)..<40 {
            #expect(try Fetched.read(log, from: offset, maxBytes: 1).first?.baseOffset == offset)
        }
        // Segment files are named by base offset, 20 digits.
        let names = try Posix.listDirectory(dir.path)
        #expect(names.contains("00000000000000000000.log"))
        #expect(names.filter { $0.hasSuffix(".log") }.count == log.segmentCount)
    }

    @Test func segmentsRollByTime() throws {
        let dir = TempDirectory()
        var config = TestLog.config()
        config.segmentMs = 1_000
        let log = try TestLog.open(dir.path, config: config)
        _ = try log.appendAsLeader([Batches.make(["a"], timestamp: 10_000)], leaderEpoch: 0, now: 10_000)
        _ = try log.appendAsLeader([Batches.make(["b"], timestamp: 10_500)], leaderEpoch: 0, now: 10_500)
        #expect(log.segmentCount == 1)
        _ = try log.appendAsLeader([Batches.make(["c"], timestamp: 11_001)], leaderEpoch: 0, now: 11_001)
        #expect(log.segmentBaseOffsets == [0, 2])
    }

    @Test func readsAreZeroCopyAndSurviveSegmentDeletion() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path, config: TestLog.config(segmentBytes: 1024))
        for i in 0..<6 { _ = try log.appendAsLeader([Batches.sized(400, tag: "\(i)")], leaderEpoch: 0, now: 0) }
        log.updateHighWatermark(6)
        let inFlight = try log.read(from: 0, maxBytes: 300, maxOffset: 6, minOneBatch: true)
        guard case let .file(region) = inFlight.records else {
            Issue.record("expected a file region, got \(inFlight.records)")
            return
        }
        #expect(region.readerIndex == 0)
        try log.deleteRecords(before: 4)
        #expect(!Posix.fileExists(SegmentFiles.path(dir.path, 0, ".log")))
        // The deleted segment's bytes are still readable through the read's own descriptor.
        let batches = try Fetched.batches(inFlight)
        #expect(batches.map(\.baseOffset) == [0])
        #expect(try batches[0].records().first?.value?.string.hasPrefix("000") == true)
        #expect(throws: StorageError.self) { _ = try log.read(from: 1, maxBytes: 10, maxOffset: 6, minOneBatch: true) }
    }

    @Test func followerAppendKeepsOffsetsAndEpochs() throws {
        let dir = TempDirectory()
        let leader = try TestLog.open(dir.sub("leader"))
        _ = try leader.appendAsLeader([Batches.make(["a", "b"])], leaderEpoch: 1, now: 0)
        _ = try leader.appendAsLeader([Batches.make(["c"])], leaderEpoch: 2, now: 0)
        let fetched = try Fetched.read(leader, from: 0)
        let follower = try TestLog.open(dir.sub("follower"))
        let info = try follower.appendAsFollower(fetched)
        #expect(info.firstOffset == 0 && info.lastOffset == 2)
        #expect(follower.leaderEpochs.map(\.epoch) == [1, 2])
        #expect(try Fetched.read(follower, from: 0).map(\.bytes) == fetched.map(\.bytes))
        #expect(throws: LogAppendError.self) { try follower.appendAsFollower([fetched[0]]) }
        var corrupt = fetched[1].bytes
        corrupt.setInteger(UInt8(0xFF), at: corrupt.writerIndex - 1)
        #expect(throws: LogAppendError.self) { try follower.appendAsFollower([try RecordBatch(bytes: corrupt)]) }
    }
}
