import Foundation
import KafkaProtocol
import Logging
import NIOCore
import SluiceBase
@testable import SluiceStorage

#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory removed when the value is released.
///
/// On /dev/shm when it has room (fsync costs nothing there, and these tests are about process
/// crashes and file contents, not power loss), else /tmp; `SLUICE_TEST_TMP` overrides.
final class TempDirectory {
    let path: String

    static let root: String = {
        if let dir = ProcessInfo.processInfo.environment["SLUICE_TEST_TMP"] { return dir }
        var st = statvfs()
        if statvfs("/dev/shm", &st) == 0, UInt64(st.f_bavail) * UInt64(st.f_frsize) > 2 << 30 { return "/dev/shm" }
        return "/tmp"
    }()

    init(_ name: String = "t") {
        var template = Array("\(Self.root)/sluice-storage-\(name)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { "\(path)/\(name)" }
}

enum TestLog {
    static let logger: Logger = {
        var logger = Logger(label: "sluice.storage.test")
        logger.logLevel = .critical
        return logger
    }()

    static let tp = TopicPartition("t", 0)

    /// A small-segment config so tests cross segment boundaries quickly.
    static func config(segmentBytes: Int32 = 1024 * 1024, indexInterval: Int32 = 4096) -> LogConfig {
        var config = LogConfig()
        config.segmentBytes = segmentBytes
        config.indexIntervalBytes = indexInterval
        return config
    }

    static func open(_ dir: String, config: LogConfig = config(), clean: Bool = false, recoveryPoint: Int64? = nil,
                     logStart: Int64? = nil, highWatermark: Int64? = nil, faults: StorageFaults? = nil) throws -> DiskPartitionLog {
        try DiskPartitionLog.open(directory: dir, topicPartition: tp, config: config, logger: logger, cleanShutdown: clean,
                                  recoveryPoint: recoveryPoint, logStartOffset: logStart, highWatermark: highWatermark,
                                  faults: faults)
    }
}

/// Builds test batches.
enum Batches {
    static func make(_ values: [String], keys: [String?]? = nil, timestamp: Int64 = 1_000, producerId: Int64 = -1,
                     producerEpoch: Int16 = -1, baseSequence: Int32 = -1, timestampStep: Int64 = 0) -> RecordBatch {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence)
        for (i, v) in values.enumerated() {
            let key = keys?[i].map { ByteBuffer(string: $0) }
            builder.append(key: key, value: ByteBuffer(string: v), timestamp: timestamp + Int64(i) * timestampStep)
        }
        return try! builder.build()
    }

    static func keyed(_ pairs: [(String, String?)], timestamp: Int64 = 1_000) -> RecordBatch {
        var builder = RecordBatchBuilder()
        for (k, v) in pairs {
            builder.append(key: ByteBuffer(string: k), value: v.map { ByteBuffer(string: $0) }, timestamp: timestamp)
        }
        return try! builder.build()
    }

    /// A batch of `count` records whose values fill about `size` bytes in total.
    static func sized(_ size: Int, count: Int = 1, tag: String = "x", timestamp: Int64 = 1_000) -> RecordBatch {
        let each = max(1, (size - 61) / count - 10)
        let values = (0..<count).map { i in String(repeating: Character(tag), count: each) + "\(i)" }
        return make(values, timestamp: timestamp)
    }
}

/// Reads what a log read returned, as a fetch would send it.
enum Fetched {
    static func bytes(_ payload: RecordsPayload) throws -> ByteBuffer {
        var out = ByteBuffer()
        try append(payload, to: &out)
        return out
    }

    private static func append(_ payload: RecordsPayload, to out: inout ByteBuffer) throws {
        switch payload {
        case let .bytes(b):
            out.writeImmutableBuffer(b)
        case let .file(region):
            var chunk = [UInt8](repeating: 0, count: region.readableBytes)
            let n = try region.fileHandle.withUnsafeFileDescriptor { fd in
                chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(region.readerIndex)) }
            }
            precondition(n == region.readableBytes, "short read of a file region")
            out.writeBytes(chunk)
        case let .concatenation(parts):
            for p in parts { try append(p, to: &out) }
        }
    }

    /// The batches of a read, each checked (CRC included); releases the read.
    static func batches(_ result: LogReadResult) throws -> [RecordBatch] {
        defer { result.release() }
        let bytes = try bytes(result.records)
        let batches = try RecordBatchSequence.wholeBatches(bytes)
        for b in batches { try b.validate() }
        return batches
    }

    static func read(_ log: any PartitionLog, from offset: Int64, maxBytes: Int = 64 * 1024 * 1024,
                     maxOffset: Int64 = Int64.max, minOneBatch: Bool = true) throws -> [RecordBatch] {
        try batches(log.read(from: offset, maxBytes: maxBytes, maxOffset: maxOffset, minOneBatch: minOneBatch))
    }

    /// Every record value in the log from its start, as strings.
    static func values(_ log: any PartitionLog) throws -> [String] {
        try read(log, from: log.logStartOffset).flatMap { try $0.records().map { String(buffer: $0.value!) } }
    }
}

extension ByteBuffer {
    var string: String { String(buffer: self) }
}
