import ArgumentParser
import Foundation
import KafkaProtocol
import Logging
import NIOCore
import SluiceBase
import SluiceStorage

/// `sluice log crash-writer` (hidden): the child process of the storage crash test. It opens a
/// data directory (recovering it), checks that the idempotent producer's last batch is still
/// known (re-sending it must be a duplicate), then appends numbered batches as fast as it can,
/// reporting each one on stdout only after its append returned, until it is killed.
///
/// Lines: `start <next batch> <log end>`, `dup <base offset>`, `ok <batch> <first> <last> <crc>`,
/// `error <text>`. Record values are `<batch>:<record>:<padding>`, so a restarted writer (and
/// the test) can tell which batch comes next.
struct LogCrashWriterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer",
        abstract: "Append numbered batches until killed (the storage crash test's child).",
        shouldDisplay: false
    )

    @Option var dir: String
    @Option var seed: UInt64 = 1
    @Option var segmentBytes: Int32 = 64 * 1024
    @Option var indexIntervalBytes: Int32 = 512
    @Option var flushMessages: Int64 = Int64.max
    @Flag var logAppendTime = false
    @Option(help: "Stop cleanly after this many batches (default: run until killed).")
    var maxBatches: Int = Int.max

    static let producerId: Int64 = 7
    static let topicPartition = TopicPartition("crash", 0)

    func run() throws {
        var config = LogConfig()
        config.segmentBytes = segmentBytes
        config.indexIntervalBytes = indexIntervalBytes
        config.flushMessages = flushMessages
        if logAppendTime { config.messageTimestampType = "LogAppendTime" }
        var logger = Logger(label: "crash-writer")
        logger.logLevel = .error
        let manager = try LogManager(directory: dir, defaults: config, logger: logger)
        let log = try manager.getOrCreateLog(for: Self.topicPartition, config: config)
        var next = 0
        var sequence: Int32 = 0
        if log.logEndOffset > log.logStartOffset {
            let read = try log.read(from: log.logEndOffset - 1, maxBytes: 1, maxOffset: .max, minOneBatch: true)
            let last = try Self.lastBatch(read)
            guard let value = try last.records().last?.value.map({ String(buffer: $0) }),
                  let number = Int(value.split(separator: ":").first ?? "") else {
                return Self.emit("error the last batch has no batch number")
            }
            next = number + 1
            sequence = last.lastSequence &+ 1
            do {
                _ = try log.appendAsLeader([last], leaderEpoch: 0, now: Self.now())
                return Self.emit("error re-sending batch \(number) was not detected as a duplicate")
            } catch let LogAppendError.duplicate(info) {
                guard info.firstOffset == last.baseOffset else {
                    return Self.emit("error duplicate of batch \(number) reported at \(info.firstOffset), not \(last.baseOffset)")
                }
                Self.emit("dup \(info.firstOffset)")
            }
        }
        Self.emit("start \(next) \(log.logEndOffset)")
        var rng = SplitMix64(seed: seed &+ UInt64(next))
        var written = 0
        while written < maxBatches {
            let count = 1 + Int(rng.next() % 8)
            let padding = Int(rng.next() % 1500)
            var builder = RecordBatchBuilder(producerId: Self.producerId, producerEpoch: 0, baseSequence: sequence)
            for j in 0..<count {
                let value = "\(next):\(j):" + String(repeating: "x", count: padding / count)
                builder.append(key: ByteBuffer(string: "k\(next % 50)"), value: ByteBuffer(string: value), timestamp: Self.now())
            }
            let batch = try builder.build()
            let info = try log.appendAsLeader([batch], leaderEpoch: 0, now: Self.now())
            Self.emit("ok \(next) \(info.firstOffset) \(info.lastOffset) \(config.usesLogAppendTime ? 0 : batch.crc)")
            sequence = sequence &+ Int32(count)
            next += 1
            written += 1
        }
        manager.shutdown()
    }

    static func lastBatch(_ read: LogReadResult) throws -> RecordBatch {
        defer { read.release() }
        guard case let .file(region) = read.records else { throw ValidationError("expected a file region") }
        var bytes = ByteBufferAllocator().buffer(capacity: region.readableBytes)
        let n = try region.fileHandle.withUnsafeFileDescriptor { fd in
            try bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: region.readableBytes) { raw in
                let got = pread(fd, raw.baseAddress!, region.readableBytes, off_t(region.readerIndex))
                guard got == region.readableBytes else { throw ValidationError("short read of the last batch") }
                return got
            }
        }
        _ = n
        return try RecordBatch(bytes: bytes)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Writes one line to stdout with a single write(2), so a kill never splits a reported line
    /// from the append it reports.
    static func emit(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        bytes.withUnsafeMutableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(1, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { return }
                done += n
            }
        }
    }
}

/// A small seeded generator (SplitMix64), so a seed reproduces a run's batches.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
