import ArgumentParser
import Foundation
import KafkaProtocol
import Logging
import NIOCore
import SluiceBase
import SluiceStorage

/// `sluice bench storage`: the storage engine's append and fetch throughput for 1 KiB, 64 KiB
/// and 1 MiB batches, each beside the machine's limit measured in the same run on the same
/// directory: buffered write(2) of the same sizes for appends, and sendfile(2) of the same
/// sizes to a drained loopback TCP socket for fetches (which the log answers with file regions
/// sent the same way, as a broker does).
///
/// ```
/// swift run -c release sluice bench storage --dir /var/tmp/bench
/// ```
struct BenchStorageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Append and fetch throughput of the storage engine beside raw write and sendfile bandwidth."
    )

    @Option(help: "Directory to measure in (a new one under /tmp by default; removed afterwards).")
    var dir: String?

    @Option(help: "Megabytes written and read per measurement.")
    var megabytes = 1024

    @Option(help: "Batch sizes in bytes.")
    var batchSizes: [Int] = [1024, 64 * 1024, 1024 * 1024]

    @Option(help: "Runs per measurement; the median is reported.")
    var runs = 3

    @Option(help: "Bytes per fetch for the consumer-sized fetch column (a consumer's max.partition.fetch.bytes).")
    var fetchBytes = 1024 * 1024

    /// One measurement: bytes per second of wall time, and per second of the measuring thread's
    /// CPU time (which neighbours on a shared machine disturb much less).
    struct Rate {
        var wall = 0.0
        var cpu = 0.0
    }

    struct Row {
        var size: Int
        var append = Rate()
        var rawWrite = Rate()
        /// Fetches of one batch size each, beside sendfile(2) calls of that size.
        var fetch = Rate()
        var sendfile = Rate()
        /// Fetches of `fetchBytes` each, beside sendfile(2) calls of that size.
        var bigFetch = Rate()
        var bigSendfile = Rate()
    }

    func run() throws {
        let root = dir ?? NSTemporaryDirectory() + "sluice-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: root) } }
        let total = megabytes * 1024 * 1024
        print("sluice bench storage: \(megabytes) MiB per measurement, median of \(runs), in \(root)")
        print("MB/s of wall time; in brackets, MB per second of the measuring thread's CPU time")
        // The first writes after an idle spell are slow on a VM (fresh guest pages): warm up.
        for _ in 0..<2 {
            _ = try BenchIO.rawWrite(path: root + "/warm-up", chunk: 1 << 20, total: total)
            try? FileManager.default.removeItem(atPath: root + "/warm-up")
        }
        for size in batchSizes {
            var samples: [Row] = []
            for _ in 0..<runs { samples.append(try measure(size: size, total: total, root: root)) }
            func median(_ key: KeyPath<Row, Rate>) -> Rate {
                Rate(wall: samples.map { $0[keyPath: key].wall }.sorted()[samples.count / 2],
                     cpu: samples.map { $0[keyPath: key].cpu }.sorted()[samples.count / 2])
            }
            let row = Row(size: size, append: median(\.append), rawWrite: median(\.rawWrite), fetch: median(\.fetch),
                          sendfile: median(\.sendfile), bigFetch: median(\.bigFetch), bigSendfile: median(\.bigSendfile))
            print(Self.format(row, fetchBytes: fetchBytes))
        }
        print("")
        print("append: DiskPartitionLog.appendAsLeader, one batch per call, no fsync (Kafka's default), beside write(2)")
        print("of the same size to a plain file. fetch: DiskPartitionLog.read(maxBytes: batch size), regions sent with")
        print("sendfile(2) to a loopback TCP socket drained by a thread, beside sendfile(2) of that size; fetch \(Self.label(fetchBytes)):")
        print("the same with maxBytes \(fetchBytes) (a consumer's default partition fetch size). Log and machine alternate")
        print("in 64 MiB slices; MB = 10^6 bytes.")
    }

    static func label(_ size: Int) -> String {
        size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB"
    }

    static func format(_ r: Row, fetchBytes: Int) -> String {
        func pair(_ name: String, _ a: Rate, _ vs: String, _ b: Rate) -> String {
            String(format: "%@ %5.0f [%5.0f] vs %@ %5.0f [%5.0f] = %3.0f%% [%3.0f%%]", name, a.wall / 1e6, a.cpu / 1e6,
                   vs, b.wall / 1e6, b.cpu / 1e6, 100 * a.wall / b.wall, 100 * a.cpu / b.cpu)
        }
        let name = label(r.size).padding(toLength: 6, withPad: " ", startingAt: 0)
        return "\(name) " + pair("append", r.append, "write", r.rawWrite) + "\n       "
            + pair("fetch ", r.fetch, "sendfile", r.sendfile) + "\n       "
            + pair("fetch \(label(fetchBytes))", r.bigFetch, "sendfile \(label(fetchBytes))", r.bigSendfile)
    }

    /// One run: the log and the machine alternate in slices of `slice` bytes (so that both
    /// meet the same writeback, page cache and neighbours), each side's time summed.
    func measure(size: Int, total: Int, root: String) throws -> Row {
        let slice = 64 << 20
        let rawPath = root + "/raw-\(size)"
        let logDir = root + "/log-\(size)"
        try? FileManager.default.removeItem(atPath: rawPath)
        try? FileManager.default.removeItem(atPath: logDir)
        sync()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let manager = try LogManager(directory: logDir, defaults: LogConfig(), logger: logger)
        defer {
            manager.shutdown()
            try? FileManager.default.removeItem(atPath: logDir)
            try? FileManager.default.removeItem(atPath: rawPath)
        }
        let log = try manager.getOrCreateLog(for: TopicPartition("bench", 0), config: LogConfig())
        let batch = try Self.batch(size: size)
        precondition(batch.totalSize == size, "batch of \(batch.totalSize) bytes, not \(size)")
        let batches = [batch]  // the argument array is the caller's, as a decoded request's would be
        let raw = try BenchIO.Writer(path: rawPath)
        defer { raw.close() }
        var row = Row(size: size)
        var rawTime = BenchIO.Elapsed()
        var logTime = BenchIO.Elapsed()
        var written = 0
        while written < total {
            let n = min(slice, total - written)
            var watch = BenchIO.Stopwatch()
            try raw.write(chunk: size, total: n)
            rawTime.add(watch)
            watch = BenchIO.Stopwatch()
            for _ in 0..<(n / size) {
                _ = try log.appendAsLeader(batches, leaderEpoch: 0, now: 0)
            }
            logTime.add(watch)
            written += n
        }
        row.rawWrite = rawTime.rate(total)
        row.append = logTime.rate(total)
        log.updateHighWatermark(log.logEndOffset)
        (row.fetch, row.sendfile) = try fetchBoth(log, batch: batch, rawPath: rawPath, size: size, total: total, slice: slice)
        (row.bigFetch, row.bigSendfile) = try fetchBoth(log, batch: batch, rawPath: rawPath, size: fetchBytes, total: total, slice: slice)
        return row
    }

    /// Reads the log in fetches of `size` and the raw file in sendfile(2) calls of `size`, each
    /// to its own drained loopback socket, alternating in slices; returns both rates.
    func fetchBoth(_ log: any PartitionLog, batch: RecordBatch, rawPath: String, size: Int, total: Int,
                   slice: Int) throws -> (fetch: Rate, sendfile: Rate) {
        let file = open(rawPath, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw BenchIO.Failure(description: "open \(rawPath)") }
        defer { close(file) }
        let logSink = try BenchIO.LoopbackSink()
        let rawSink = try BenchIO.LoopbackSink()
        let records = Int64(batch.recordCount)
        var offset: Int64 = 0
        var position = 0
        var fetched = 0
        var logTime = BenchIO.Elapsed()
        var rawTime = BenchIO.Elapsed()
        while position < total || fetched < total {
            let rawTarget = min(total, position + slice)
            var watch = BenchIO.Stopwatch()
            while position < rawTarget {
                let n = min(size, total - position)
                try BenchIO.sendFile(file, offset: position, count: n, to: rawSink.sender)
                position += n
            }
            rawTime.add(watch)
            let logTarget = min(total, fetched + slice)
            watch = BenchIO.Stopwatch()
            while fetched < logTarget {
                let result = try log.read(from: offset, maxBytes: size, maxOffset: .max, minOneBatch: true)
                let bytes = try BenchIO.send(result.records, to: logSink.sender)
                result.release()
                guard bytes > 0 else { throw BenchIO.Failure(description: "empty fetch at \(offset)") }
                fetched += bytes
                // Every batch has the same size and record count: the next offset follows.
                offset += records * Int64(bytes / batch.totalSize)
            }
            logTime.add(watch)
        }
        // The readers' drain time counts for both sides alike.
        var watch = BenchIO.Stopwatch()
        let rawReceived = rawSink.finish()
        rawTime.add(watch)
        watch = BenchIO.Stopwatch()
        let logReceived = logSink.finish()
        logTime.add(watch)
        guard rawReceived == total, logReceived == total else {
            throw BenchIO.Failure(description: "received \(logReceived) and \(rawReceived) of \(total) bytes")
        }
        return (logTime.rate(total), rawTime.rate(total))
    }

    /// A batch of exactly `size` bytes made of ~1 KiB records (so that it and the raw writes
    /// it is compared with have the same sizes and alignment).
    static func batch(size: Int) throws -> RecordBatch {
        let records = max(1, size / 1024)
        var valueSize = max(1, (size - 61) / records - 12)
        // Record overheads are varints: adjust the last value until the size is exact.
        for _ in 0..<64 {
            var builder = RecordBatchBuilder(capacity: size)
            for i in 0..<records {
                builder.append(key: nil, value: ByteBuffer(repeating: 0x61, count: i == records - 1 ? valueSize : max(1, (size - 61) / records - 12)),
                               timestamp: 1_700_000_000_000)
            }
            let batch = try builder.build()
            if batch.totalSize == size { return batch }
            valueSize += size - batch.totalSize
        }
        throw BenchIO.Failure(description: "cannot build a batch of exactly \(size) bytes")
    }
}
