import Foundation
import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

/// Random damage to segment and index files after an unclean stop: truncations at random byte
/// positions, random bit flips, garbage tails. Recovery must keep exactly the batches before
/// the first damaged one (every bit of a batch is checked: the CRC, the offsets by contiguity,
/// the leader epoch against its checkpoint) and never serve a damaged byte.
@Suite struct CorruptionTests {
    struct Written {
        var bytes: [ByteBuffer] = []
        var positions: [(segment: Int64, start: Int, end: Int)] = []
    }

    @Test func recoveryKeepsTheValidPrefixAndNeverServesDamage() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["SIM_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        let rounds = Int(ProcessInfo.processInfo.environment["SIM_RUNS"] ?? "") ?? 60
        for round in 0..<rounds {
            try runRound(seed: seed &+ UInt64(round), context: "SIM_SEED=\(seed) round \(round)")
        }
    }

    func runRound(seed: UInt64, context: String) throws {
        var rng = SplitMix(seed: seed)
        let dir = TempDirectory("corrupt")
        let config = TestLog.config(segmentBytes: Int32(1500 + rng.next() % 6000), indexInterval: Int32(rng.next() % 1200))
        let log = try TestLog.open(dir.path, config: config)
        var epoch: Int32 = 0
        for i in 0..<(15 + Int(rng.next() % 50)) {
            if rng.next() % 8 == 0 { epoch += 1 }
            let size = 80 + Int(rng.next() % 700)
            _ = try log.appendAsLeader([Batches.sized(size, count: 1 + Int(rng.next() % 4), tag: "\(i % 10)")],
                                       leaderEpoch: epoch, now: 0)
        }
        let written = try layout(log, dir.path)
        let useRecoveryPoint = rng.next() % 2 == 0
        let recoveryPoint = useRecoveryPoint ? log.recoveryPoint : 0
        log.closeWithoutFlush()

        // Damage: only files at or above the recovery point's segment hold unverified data.
        let firstScanned = written.positions.lastIndex { $0.segment <= recoveryPoint }.map { written.positions[$0].segment } ?? 0
        let logFiles = try Posix.listDirectory(dir.path).filter { $0.hasSuffix(".log") }
            .filter { SegmentFiles.offset(in: $0, suffix: ".log")! >= firstScanned }
        let indexFiles = try Posix.listDirectory(dir.path).filter { $0.hasSuffix("index") }
        var firstDamaged = written.bytes.count
        var actions: [String] = []
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            switch rng.next() % 4 {
            case 0:  // cut a segment file short
                let name = logFiles[Int(rng.next() % UInt64(logFiles.count))]
                let size = try Posix.fileSize(dir.sub(name))
                guard size > 0 else { continue }
                let at = Int(rng.next() % UInt64(size))
                try truncateFile(dir.sub(name), to: at)
                firstDamaged = min(firstDamaged, damagedBatch(written, name, at))
                actions.append("truncate \(name) at \(at)")
            case 1:  // flip bits
                let name = logFiles[Int(rng.next() % UInt64(logFiles.count))]
                let size = try Posix.fileSize(dir.sub(name))
                guard size > 0 else { continue }
                let at = Int(rng.next() % UInt64(size))
                try flipByte(dir.sub(name), at: at, mask: UInt8(1 << (rng.next() % 8)))
                firstDamaged = min(firstDamaged, damagedBatch(written, name, at))
                actions.append("flip \(name) at \(at)")
            case 2:  // garbage after the last segment's end
                let name = logFiles.last!
                var garbage = ByteBuffer()
                for _ in 0..<(1 + rng.next() % 200) { garbage.writeInteger(UInt8(truncatingIfNeeded: rng.next())) }
                let file = try StorageFile(path: dir.sub(name), create: false)
                try file.write(garbage, at: try file.size())
                file.close()
                actions.append("garbage after \(name)")
            default:  // damage an index file (any segment): lookups must still find every batch
                guard !indexFiles.isEmpty else { continue }
                let name = indexFiles[Int(rng.next() % UInt64(indexFiles.count))]
                let size = try Posix.fileSize(dir.sub(name))
                if size > 0 && rng.next() % 2 == 0 {
                    try flipByte(dir.sub(name), at: Int(rng.next() % UInt64(size)), mask: UInt8(1 << (rng.next() % 8)))
                } else {
                    try truncateFile(dir.sub(name), to: size / 2)
                }
                actions.append("damage \(name)")
            }
        }
        let ctx = "\(context) \(actions) (recovery point \(recoveryPoint))"
        let recovered = try TestLog.open(dir.path, config: config, recoveryPoint: recoveryPoint)
        let survivors = try Fetched.read(recovered, from: 0)
        #expect(survivors.count == firstDamaged, "\(ctx): \(survivors.count) batches survived, expected \(firstDamaged)")
        for (i, batch) in survivors.enumerated() where i < written.bytes.count {
            #expect(batch.bytes == written.bytes[i], "\(ctx): batch \(i) differs from what was written")
        }
        let logEnd = survivors.last?.nextOffset ?? 0
        #expect(recovered.logEndOffset == logEnd, "\(ctx)")
        for _ in 0..<10 where logEnd > 0 {
            let offset = Int64(rng.next() % UInt64(logEnd))
            let first = try #require(try Fetched.read(recovered, from: offset, maxBytes: 1).first, "\(ctx): nothing at \(offset)")
            #expect(first.baseOffset <= offset && first.lastOffset >= offset, "\(ctx): read from \(offset)")
        }
        // The recovered log takes appends and survives another unclean stop.
        _ = try recovered.appendAsLeader([Batches.make(["after"])], leaderEpoch: epoch, now: 0)
        recovered.closeWithoutFlush()
        let again = try TestLog.open(dir.path, config: config, recoveryPoint: 0)
        #expect(again.logEndOffset == logEnd + 1, "\(ctx)")
        #expect(try Fetched.read(again, from: 0).count == firstDamaged + 1, "\(ctx)")
        again.closeWithoutFlush()
    }

    /// Every batch's bytes and where it lies.
    func layout(_ log: DiskPartitionLog, _ dir: String) throws -> Written {
        var out = Written()
        let bases = log.segmentBaseOffsets
        for (i, base) in bases.enumerated() {
            let end = i + 1 < bases.count ? bases[i + 1] : log.logEndOffset
            guard end > base else { continue }
            var position = 0
            for batch in try Fetched.read(log, from: base, maxOffset: end) {
                out.bytes.append(batch.bytes)
                out.positions.append((base, position, position + batch.totalSize))
                position += batch.totalSize
            }
        }
        return out
    }

    /// The index of the first batch that damage at byte `at` of segment file `name` touches.
    func damagedBatch(_ written: Written, _ name: String, _ at: Int) -> Int {
        let base = SegmentFiles.offset(in: name, suffix: ".log")!
        return written.positions.firstIndex { $0.segment == base && $0.end > at } ?? written.bytes.count
    }

    func truncateFile(_ path: String, to size: Int) throws {
        let file = try StorageFile(path: path, create: false)
        try file.truncate(to: size)
        file.close()
    }
}
