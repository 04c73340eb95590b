import Foundation
import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fetch path's reuse of state between calls: header windows sized by the batches they
/// meet, read hints, and pooled descriptors released exactly once.
@Suite struct ReadPathTests {
    /// Batches of very different sizes side by side, so that the header window changes its read
    /// size and misses often: every read must still return exactly the whole batches a
    /// reference computed from the appended batches says.
    @Test func readsAreExactAcrossBatchSizes() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path, config: TestLog.config(segmentBytes: 256 * 1024, indexInterval: 512))
        var expected: [(base: Int64, next: Int64, size: Int)] = []
        var rng = SplitMix(seed: 11)
        let sizes = (0..<40).map { _ in 70 } + (0..<30).map { _ in 1024 } + (0..<6).map { _ in 40_000 }
            + (0..<40).map { _ in [70, 300, 1024, 5000][Int.random(in: 0..<4, using: &rng)] }
        for (i, size) in sizes.enumerated() {
            let batch = Batches.sized(size, count: 1 + i % 3, tag: "abcdefgh".map(String.init)[i % 8])
            let info = try log.appendAsLeader([batch], leaderEpoch: 0, now: 1_000)
            expected.append((info.firstOffset, info.lastOffset + 1, batch.totalSize))
        }
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.segmentCount > 1)

        /// The batches a read from `offset` with `maxBytes` must return.
        func reference(_ offset: Int64, _ maxBytes: Int) -> [Int64] {
            guard let first = expected.firstIndex(where: { $0.next > offset }) else { return [] }
            var out = [expected[first].base]
            var used = expected[first].size
            for b in expected[(first + 1)...] {
                if used + b.size > maxBytes { break }
                out.append(b.base)
                used += b.size
            }
            return out
        }
        let end = log.logEndOffset
        // A consumer's pattern (each read continues where the last ended), then random offsets.
        for maxBytes in [1, 1024, 6000, 100_000] {
            var offset: Int64 = 0
            while offset < end {
                let batches = try Fetched.read(log, from: offset, maxBytes: maxBytes)
                #expect(batches.map(\.baseOffset) == reference(offset, maxBytes), "sequential from \(offset), \(maxBytes)")
                offset = batches.last!.nextOffset
            }
        }
        for _ in 0..<300 {
            let offset = Int64.random(in: 0..<end, using: &rng)
            let maxBytes = [1, 100, 1024, 3000, 50_000][Int.random(in: 0..<5, using: &rng)]
            let batches = try Fetched.read(log, from: offset, maxBytes: maxBytes)
            #expect(batches.map(\.baseOffset) == reference(offset, maxBytes), "random at \(offset), \(maxBytes)")
        }
    }

    func descriptor(_ result: LogReadResult) throws -> Int32 {
        guard case let .file(region) = result.records else { throw StorageError.closed }
        return try region.fileHandle.withUnsafeFileDescriptor { $0 }
    }

    /// A result released twice gives its descriptor back once: two later reads held at the same
    /// time never share one. After the segment is deleted, released descriptors are closed.
    @Test func descriptorsGoBackExactlyOnce() throws {
        let dir = TempDirectory()
        let log = try TestLog.open(dir.path)
        for i in 0..<4 { _ = try log.appendAsLeader([Batches.make(["v\(i)"])], leaderEpoch: 0, now: 1_000) }
        log.updateHighWatermark(log.logEndOffset)

        let first = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: .max, minOneBatch: true)
        first.release()
        first.release()
        let second = try log.read(from: 1, maxBytes: 1 << 20, maxOffset: .max, minOneBatch: true)
        let third = try log.read(from: 2, maxBytes: 1 << 20, maxOffset: .max, minOneBatch: true)
        #expect(try descriptor(second) != descriptor(third))
        #expect(try Fetched.bytes(second.records).readableBytes > 0 && Fetched.bytes(third.records).readableBytes > 0)
        second.release()

        // Retention (here DeleteRecords to the end) deletes the segment while `third` is held:
        // it stays readable, and its descriptor is closed, not pooled, once released.
        let held = try descriptor(third)
        var before = stat()
        #expect(fstat(held, &before) == 0)
        try log.deleteRecords(before: log.highWatermark)
        #expect(try RecordBatchSequence.wholeBatches(Fetched.bytes(third.records)).map(\.baseOffset) == [2, 3])
        third.release()
        // Tests run in parallel: another one may get the same descriptor number at once, but not
        // over the same (deleted) file.
        var after = stat()
        let stillOpen = fstat(held, &after) == 0 && after.st_dev == before.st_dev && after.st_ino == before.st_ino
        #expect(!stillOpen, "the descriptor of a deleted segment is closed on release")
        third.release()
    }
}
