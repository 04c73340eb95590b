import Foundation
import KafkaProtocol
import NIOCore
@testable import SluiceStorage
import SluiceBase
import Testing

/// Redpanda-style randomized test: a seeded sequence of appends, reads, truncations, rolls,
/// DeleteRecords, retention, compaction, flushes, clean restarts and crashes (losing unsynced
/// bytes), checked after every step against ``LogModel``. `SIM_SEED` reproduces a run,
/// `SIM_RUNS` sets how many seeds run.
@Suite struct SimulationTests {
    @Test func randomOperationsMatchTheModel() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["SIM_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000)
        let runs = Int(ProcessInfo.processInfo.environment["SIM_RUNS"] ?? "") ?? 20
        for run in 0..<runs {
            var sim = try Simulation(seed: seed &+ UInt64(run))
            do {
                try sim.run(steps: 250)
            } catch {
                Issue.record("SIM_SEED=\(seed &+ UInt64(run)) SIM_RUNS=1 failed at step \(sim.step) (\(sim.lastOp)): \(error)")
            }
            if sim.failed { Issue.record("reproduce with SIM_SEED=\(seed &+ UInt64(run)) SIM_RUNS=1") }
        }
    }
}

struct SimulationFailure: Error, CustomStringConvertible {
    var description: String
}

struct Simulation {
    let tp = TopicPartition("sim", 0)
    var rng: SplitMix
    let dir = TempDirectory("sim")
    var config: LogConfig
    var manager: LogManager
    var log: DiskPartitionLog
    var model = LogModel()
    var step = 0
    var lastOp = ""
    var failed = false
    var epoch: Int32 = 0
    var producerEpoch: Int16 = 0
    /// The producer's next sequence when the log's producer state is known to the model.
    var nextSequence: Int32?
    var clock: Int64 = 1_000_000
    let trace = ProcessInfo.processInfo.environment["SIM_TRACE"] != nil

    init(seed: UInt64) throws {
        rng = SplitMix(seed: seed)
        config = TestLog.config(segmentBytes: Int32(2048 + rng.next() % 6000), indexInterval: Int32(rng.next() % 1000))
        config.cleanupPolicy = [CleanupPolicy.delete, .compact, [.compact, .delete]][Int(rng.next() % 3)]
        config.retentionMs = -1
        config.deleteRetentionMs = 0
        manager = try LogManager(directory: dir.path, defaults: config, logger: TestLog.logger)
        log = try manager.getOrCreateLog(for: tp, config: config) as! DiskPartitionLog
    }

    mutating func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw SimulationFailure(description: message()) }
    }

    mutating func run(steps: Int) throws {
        for s in 0..<steps {
            step = s
            clock += 10
            let r = random(100)
            switch r {
            case 0..<40: lastOp = "append"; try append()
            case 40..<62: lastOp = "read"; try read()
            case 62..<70: lastOp = "high watermark"; advanceHighWatermark()
            case 70..<74: lastOp = "roll"; try log.roll(now: clock)
            case 74..<78: lastOp = "truncate"; try truncate()
            case 78..<81: lastOp = "delete records"; try deleteRecords()
            case 81..<84: lastOp = "retention"; try retention()
            case 84..<89: lastOp = "compact"; try compact()
            case 89..<91: lastOp = "flush"; try log.flush()
            case 91..<94: lastOp = "restart"; try restart(crash: false)
            default: lastOp = "crash"; try restart(crash: true)
            }
            try checkInvariants()
            if trace { print("step \(s) \(lastOp): start \(model.logStart) end \(model.logEnd) hw \(model.highWatermark) rp \(log.recoveryPoint) segments \(log.segmentBaseOffsets)") }
        }
        manager.shutdown()
    }

    mutating func append() throws {
        let count = 1 + random(4)
        let keys = (0..<count).map { _ in "k\(random(12))" }
        let values: [String?] = keys.map { _ in random(10) == 0 ? nil : "v\(step)-" + String(repeating: "p", count: random(300)) }
        let idempotent = random(3) == 0
        if idempotent && nextSequence == nil {
            producerEpoch += 1  // a new epoch starts at sequence 0 whatever the log remembers
            nextSequence = 0
        }
        // Sometimes a retry of the producer's last batch: a duplicate with the original offsets.
        if idempotent, random(4) == 0, let last = model.lastProducerBatch, last.records.count == Int(last.last - last.base + 1),
           last.producerSequence! + Int32(last.records.count) == nextSequence {
            let batch = build(last.records.map(\.key), last.records.map(\.value), sequence: last.producerSequence!)
            do {
                _ = try log.appendAsLeader([batch], leaderEpoch: epoch, now: clock)
                throw SimulationFailure(description: "a retried batch was appended again")
            } catch let LogAppendError.duplicate(info) {
                try check(info.firstOffset == last.base && info.lastOffset == last.last, "duplicate at \(info.firstOffset), expected \(last.base)")
            }
            return
        }
        if random(15) == 0 { epoch += 1 }
        let sequence = idempotent ? nextSequence! : -1
        let batch = build(keys, values, sequence: sequence)
        let info = try log.appendAsLeader([batch], leaderEpoch: epoch, now: clock)
        try check(info.firstOffset == model.logEnd, "append at \(info.firstOffset), model end \(model.logEnd)")
        model.appended(zip(keys, values).enumerated().map { LogModel.Rec(offset: info.firstOffset + Int64($0), key: $1.0, value: $1.1) },
                       base: info.firstOffset, sequence: idempotent ? sequence : nil)
        if idempotent { nextSequence = sequence + Int32(count) }
    }

    func build(_ keys: [String], _ values: [String?], sequence: Int32) -> RecordBatch {
        var builder = sequence >= 0
            ? RecordBatchBuilder(producerId: 77, producerEpoch: producerEpoch, baseSequence: sequence)
            : RecordBatchBuilder()
        for (k, v) in zip(keys, values) {
            builder.append(key: ByteBuffer(string: k), value: v.map { ByteBuffer(string: $0) }, timestamp: clock)
        }
        return try! builder.build()
    }

    mutating func read() throws {
        let span = model.logEnd - model.logStart
        if random(10) == 0 {
            // Outside the log: OFFSET_OUT_OF_RANGE.
            let offset = random(2) == 0 ? model.logStart - 1 - Int64(random(3)) : model.logEnd + 1 + Int64(random(3))
            guard offset >= 0 || model.logStart > 0 else { return }
            do {
                _ = try log.read(from: offset, maxBytes: 1000, maxOffset: .max, minOneBatch: true)
                throw SimulationFailure(description: "read at \(offset) outside \(model.logStart)..<\(model.logEnd) succeeded")
            } catch let e as StorageError where e.isOffsetOutOfRange {}
            return
        }
        let from = model.logStart + Int64(random(Int(span) + 1))
        let maxOffset = random(2) == 0 ? model.highWatermark : model.logEnd
        let maxBytes = random(3) == 0 ? 1 + random(200) : 1 + random(20_000)
        let minOneBatch = random(4) != 0
        let result = try log.read(from: from, maxBytes: maxBytes, maxOffset: maxOffset, minOneBatch: minOneBatch)
        try check(result.logEndOffset == model.logEnd && result.logStartOffset == model.logStart, "read offsets")
        let got = try Fetched.batches(result)
        let expected = model.expectedRead(from: from, maxOffset: maxOffset)
        let total = got.reduce(0) { $0 + $1.totalSize }
        try check(got.count <= expected.count, "read from \(from) returned \(got.count) batches, model has \(expected.count)")
        for (g, e) in zip(got, expected) {
            let batch = try LogModel.Batch(g)
            try check(batch.base == e.base && batch.last == e.last && batch.records == e.records,
                      "read from \(from): got \(batch.base)...\(batch.last) \(batch.records), expected \(e.base)...\(e.last) \(e.records)")
        }
        try check(total <= maxBytes || (got.count == 1 && minOneBatch), "read of \(maxBytes) bytes returned \(total)")
        if minOneBatch { try check(got.isEmpty == expected.isEmpty, "read from \(from) returned nothing; the model has \(expected.count)") }
        // Without a byte limit, everything up to maxOffset.
        let all = try Fetched.read(log, from: from, maxOffset: maxOffset)
        try check(all.count == expected.count && zip(all, expected).allSatisfy { $0.baseOffset == $1.base },
                  "full read from \(from) to \(maxOffset): \(all.map(\.baseOffset)) vs \(expected.map(\.base))")
    }

    mutating func advanceHighWatermark() {
        let hw = model.highWatermark + Int64(random(Int(model.logEnd - model.highWatermark) + 1))
        log.updateHighWatermark(hw)
        model.highWatermark = hw
    }

    mutating func truncate() throws {
        guard model.logEnd > model.logStart else { return }
        let offset = model.highWatermark + Int64(random(Int(model.logEnd - model.highWatermark) + 1))
        try log.truncate(to: offset)
        model.truncate(to: offset)
        nextSequence = nil
    }

    mutating func deleteRecords() throws {
        let offset = model.logStart + Int64(random(Int(model.highWatermark - model.logStart) + 1))
        try log.deleteRecords(before: offset)
        model.logStart = max(model.logStart, offset)
    }

    mutating func retention() throws {
        guard config.cleanupPolicy.contains(.delete) else { return }
        var c = config
        c.retentionBytes = Int64(random(20_000))
        log.updateConfig(c)
        try log.deleteOldSegments(now: clock)
        log.updateConfig(config)
        let start = log.logStartOffset
        try check(start >= model.logStart && start <= model.highWatermark, "retention moved the start to \(start)")
        model.logStart = start
    }

    mutating func compact() throws {
        guard config.cleanupPolicy.contains(.compact) else { return }
        let latest = model.latestByKey
        try manager.compact(tp, now: clock)
        // Survivors are original records at their original offsets, each key's latest stays,
        // and records at or above the active segment and the high watermark are untouched.
        let activeBase = log.segmentBaseOffsets.last!
        let got = try Fetched.read(log, from: model.logStart).map { try LogModel.Batch($0) }
        let original = Dictionary(uniqueKeysWithValues: model.batches.flatMap(\.records).map { ($0.offset, $0) })
        for batch in got {
            try check(model.batches.contains { $0.base == batch.base && $0.last == batch.last }, "compaction changed batch \(batch.base)...\(batch.last)")
            for r in batch.records { try check(original[r.offset] == r, "compaction invented \(r)") }
        }
        let survivors = Set(got.flatMap(\.records).map(\.offset))
        for (_, r) in latest where r.offset >= model.logStart && (r.value != nil || r.offset >= activeBase) {
            try check(survivors.contains(r.offset), "compaction lost the latest record \(r)")
        }
        for batch in model.batches where batch.last >= model.logStart {
            for r in batch.records where r.offset >= min(activeBase, model.highWatermark) {
                try check(survivors.contains(r.offset), "compaction touched \(r) past the cleanable part")
            }
        }
        // The model adopts what survived (batches below the log start stay as they were).
        let byBase = Dictionary(uniqueKeysWithValues: got.map { ($0.base, $0) })
        model.batches = model.batches.compactMap { b in b.last < model.logStart ? b : byBase[b.base] }
    }

    mutating func restart(crash: Bool) throws {
        let recoveryPoint = log.recoveryPoint
        let before = model.logEnd
        if crash {
            // Unsynced bytes may be lost: cut any segment at or past the recovery point somewhere
            // between what was fsynced and what was written.
            let files = log.lock.withLock { log.state.segments.segments.map { ($0.logPath, $0.syncedSize, $0.size) } }
            for l in manager.diskLogs.values { l.closeWithoutFlush() }
            for (path, synced, size) in files where size > synced && random(2) == 0 {
                let file = try StorageFile(path: path, create: false)
                try file.truncate(to: synced + random(size - synced + 1))
                file.close()
            }
        } else {
            manager.shutdown()
        }
        manager = try LogManager(directory: dir.path, defaults: config, logger: TestLog.logger)
        log = try #require(manager.diskLog(for: tp))
        let end = log.logEndOffset
        if crash {
            try check(end >= min(recoveryPoint, before) && end <= before, "after a crash the log ends at \(end); recovery point \(recoveryPoint), end \(before)")
            if end <= model.logStart {
                // Everything from the log start on was lost: the log restarts there (with no
                // batch at or above the start).
                try check(end == model.logStart, "the log ends at \(end), below its start \(model.logStart)")
                model = LogModel(batches: [], logStart: model.logStart, logEnd: model.logStart, highWatermark: model.logStart)
            } else {
                model.truncate(to: end)
            }
            nextSequence = nil
        } else {
            try check(end == before, "a clean restart changed the end from \(before) to \(end)")
        }
        try check(log.logStartOffset == model.logStart, "log start \(log.logStartOffset) after restart, model \(model.logStart)")
        try check(log.highWatermark <= model.highWatermark, "high watermark grew over a restart")
        model.highWatermark = log.highWatermark
        epoch = max(epoch, log.latestLeaderEpoch ?? 0)
    }

    func checkInvariants() throws {
        try check(log.logEndOffset == model.logEnd, "log end \(log.logEndOffset), model \(model.logEnd)")
        try check(log.logStartOffset == model.logStart, "log start \(log.logStartOffset), model \(model.logStart)")
        try check(log.highWatermark == model.highWatermark, "high watermark \(log.highWatermark), model \(model.highWatermark)")
        try check(log.recoveryPoint <= log.logEndOffset, "recovery point past the end")
    }
}
