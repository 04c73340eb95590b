import ArgumentParser
import Foundation
import KafkaProtocol
import Logging
import NIOCore
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

    struct Row {
        var size: Int
        var append = 0.0
        var rawWrite = 0.0
        /// Fetches of one batch size each, beside sendfile(2) calls of that size.
        var fetch = 0.0
        var sendfile = 0.0
        /// Fetches of `fetchBytes` each, beside sendfile(2) calls of that size.
        var bigFetch = 0.0
        var bigSendfile = 0.0
    }

    func run() throws {
        let root = dir ?? NSTemporaryDirectory() + "sluice-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: root) } }
        let total = megabytes * 1024 * 1024
        print("sluice bench storage: \(megabytes) MiB per measurement, median of \(runs), in \(root)")
        // The first writes after an idle spell are slow on a VM (fresh guest pages): warm up.
        for _ in 0..<2 {
            _ = try BenchIO.rawWrite(path: root + "/warm-up", chunk: 1 << 20, total: total)
            try? FileManager.default.removeItem(atPath: root + "/warm-up")
        }
        for size in batchSizes {
            var samples: [Row] = []
            for _ in 0..<runs { samples.append(try measure(size: size, total: total, root: root)) }
            func median(_ key: KeyPath<Row, Double>) -> Double { samples.map { $0[keyPath: key] }.sorted()[samples.count / 2] }
            print(Self.format(Row(size: size, append: median(\.append), rawWrite: median(\.rawWrite),
                                  fetch: median(\.fetch), sendfile: median(\.sendfile),
                                  bigFetch: median(\.bigFetch), bigSendfile: median(\.bigSendfile)), fetchBytes: fetchBytes))
        }
        print("")
        print("MB/s = 10^6 bytes/s; medians. append: DiskPartitionLog.appendAsLeader, one batch per call, no fsync (Kafka's")
        print("default), beside write(2) of the same size to a plain file. fetch: DiskPartitionLog.read(maxBytes: batch size),")
        print("regions sent with sendfile(2) to a loopback TCP socket drained by a thread, beside sendfile(2) of that size;")
        print("fetch \(fetchBytes >> 10) KiB: the same with maxBytes \(fetchBytes) (a consumer's default partition fetch size).")
    }

    static func label(_ size: Int) -> String {
        size >= 1 << 20 ? "\(size >> 20) MiB" : "\(size >> 10) KiB"
    }

    static func format(_ r: Row, fetchBytes: Int) -> String {
        func mb(_ v: Double) -> String { String(format: "%5.0f", v / 1e6) }
        func pct(_ a: Double, _ b: Double) -> String { String(format: "%3.0f%%", 100 * a / b) }
        return "batch \(label(r.size).padding(toLength: 7, withPad: " ", startingAt: 0))"
            + " append \(mb(r.append)) vs write \(mb(r.rawWrite)) MB/s \(pct(r.append, r.rawWrite))"
            + " | fetch \(mb(r.fetch)) vs sendfile \(mb(r.sendfile)) \(pct(r.fetch, r.sendfile))"
            + " | fetch \(label(fetchBytes)) \(mb(r.bigFetch)) vs sendfile \(mb(r.bigSendfile)) \(pct(r.bigFetch, r.bigSendfile))"
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
        let raw = try BenchIO.Writer(path: rawPath)
        defer { raw.close() }
        var row = Row(size: size)
        var rawSeconds = 0.0
        var logSeconds = 0.0
        var written = 0
        while written < total {
            let n = min(slice, total - written)
            rawSeconds += try raw.write(chunk: size, total: n)
            let start = DispatchTime.now()
            for _ in 0..<(n / size) {
                _ = try log.appendAsLeader([batch], leaderEpoch: 0, now: 0)
            }
            logSeconds += BenchIO.seconds(since: start)
            written += n
        }
        row.rawWrite = Double(total) / rawSeconds
        row.append = Double(total) / logSeconds
        log.updateHighWatermark(log.logEndOffset)
        (row.fetch, row.sendfile) = try fetchBoth(log, batch: batch, rawPath: rawPath, size: size, total: total, slice: slice)
        (row.bigFetch, row.bigSendfile) = try fetchBoth(log, batch: batch, rawPath: rawPath, size: fetchBytes, total: total, slice: slice)
        return row
    }

    /// Reads the log in fetches of `size` and the raw file in sendfile(2) calls of `size`, each
    /// to its own drained loopback socket, alternating in slices; returns both rates.
    func fetchBoth(_ log: any PartitionLog, batch: RecordBatch, rawPath: String, size: Int, total: Int,
                   slice: Int) throws -> (fetch: Double, sendfile: Double) {
        let file = open(rawPath, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw BenchIO.Failure(description: "open \(rawPath)") }
        defer { close(file) }
        let logSink = try BenchIO.LoopbackSink()
        let rawSink = try BenchIO.LoopbackSink()
        let records = Int64(batch.recordCount)
        var offset: Int64 = 0
        var position = 0
        var fetched = 0
        var logSeconds = 0.0
        var rawSeconds = 0.0
        while position < total || fetched < total {
            let rawTarget = min(total, position + slice)
            var start = DispatchTime.now()
            while position < rawTarget {
                let n = min(size, total - position)
                try BenchIO.sendFile(file, offset: position, count: n, to: rawSink.sender)
                position += n
            }
            rawSeconds += BenchIO.seconds(since: start)
            let logTarget = min(total, fetched + slice)
            start = DispatchTime.now()
            while fetched < logTarget {
                let result = try log.read(from: offset, maxBytes: size, maxOffset: .max, minOneBatch: true)
                let bytes = try BenchIO.send(result.records, to: logSink.sender)
                result.release()
                guard bytes > 0 else { throw BenchIO.Failure(description: "empty fetch at \(offset)") }
                fetched += bytes
                // Every batch has the same size and record count: the next offset follows.
                offset += records * Int64(bytes / batch.totalSize)
            }
            logSeconds += BenchIO.seconds(since: start)
        }
        // The readers' drain time counts for both sides alike.
        var start = DispatchTime.now()
        let rawReceived = rawSink.finish()
        rawSeconds += BenchIO.seconds(since: start)
        start = DispatchTime.now()
        let logReceived = logSink.finish()
        logSeconds += BenchIO.seconds(since: start)
        guard rawReceived == total, logReceived == total else {
            throw BenchIO.Failure(description: "received \(logReceived) and \(rawReceived) of \(total) bytes")
        }
        return (Double(total) / logSeconds, Double(total) / rawSeconds)
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
