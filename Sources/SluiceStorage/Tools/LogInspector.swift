import KafkaProtocol
import NIOCore

/// Reads a partition directory without changing it, for `sluice log dump` (Kafka's
/// kafka-dump-log): every segment, every batch with its offsets and CRC validity, the indexes
/// checked against the log, and the producer snapshots and epoch checkpoint.
public enum LogInspector {
    /// One batch as found in a segment file.
    public struct Batch: Sendable {
        public var position: Int
        public var size: Int
        public var baseOffset: Int64
        public var lastOffset: Int64
        public var recordCount: Int32
        public var partitionLeaderEpoch: Int32
        public var magic: Int8
        public var crc: UInt32
        /// Whether the stored CRC matches the bytes (and the batch is otherwise well formed).
        public var isValid: Bool
        public var problem: String?
        public var compression: String
        public var timestampType: TimestampType
        public var baseTimestamp: Int64
        public var maxTimestamp: Int64
        public var producerId: Int64
        public var producerEpoch: Int16
        public var baseSequence: Int32
        public var lastSequence: Int32
        public var isTransactional: Bool
        public var isControl: Bool
        /// The records, when asked for and decodable.
        public var records: [Record]?
        public var recordsError: String?
    }

    /// What is wrong with a segment's files, if anything.
    public struct SegmentSummary: Sendable {
        public var baseOffset: Int64
        public var path: String
        public var fileSize: Int
        public var batchCount: Int
        /// Bytes after the last whole valid-looking batch (a torn tail, or garbage).
        public var trailingBytes: Int
        public var endReason: String?
        public var indexEntries: Int?
        public var timeIndexEntries: Int?
        public var indexProblems: [String]
    }

    public enum Event: Sendable {
        case segment(baseOffset: Int64, path: String)
        case batch(Batch)
        case indexEntry(offset: Int64, position: Int)
        case timeIndexEntry(timestamp: Int64, offset: Int64)
        case segmentEnd(SegmentSummary)
        case note(String)
    }

    /// Walks `directory` (a `<topic>-<partition>` directory or a single `.log` file), calling
    /// `handle` for each segment, batch and, when asked, index entry.
    public static func inspect(_ path: String, records: Bool = false, indexEntries: Bool = false,
                               handle: (Event) -> Void) throws {
        let (directory, bases): (String, [Int64])
        if path.hasSuffix(SegmentFiles.logSuffix), let slash = path.lastIndex(of: "/"),
           let base = SegmentFiles.offset(in: String(path[path.index(after: slash)...]), suffix: SegmentFiles.logSuffix) {
            (directory, bases) = (String(path[..<slash]), [base])
        } else if let base = SegmentFiles.offset(in: path, suffix: SegmentFiles.logSuffix) {
            (directory, bases) = (".", [base])
        } else {
            let names = try FileSystem.listDirectory(path)
            (directory, bases) = (path, names.compactMap { SegmentFiles.offset(in: $0, suffix: SegmentFiles.logSuffix) }.sorted())
            if let epochs = LeaderEpochCache.read(directory: path) {
                handle(.note("leader epochs: " + epochs.entries.map { "\($0.epoch)@\($0.startOffset)" }.joined(separator: " ")))
            }
            for offset in ProducerStateSnapshot.offsets(in: path) {
                let bytes = try? AtomicFile.read(ProducerStateSnapshot.path(path, offset))
                let table = bytes.flatMap(ProducerStateSnapshot.decode)
                handle(.note("producer snapshot at \(offset): " + (table.map { "\($0.count) producers" } ?? "unreadable")))
            }
            for name in names where name.hasSuffix(SegmentFiles.swapSuffix) || name.hasSuffix(SegmentFiles.cleanedSuffix) {
                handle(.note("unfinished compaction file \(name) (the next start completes or removes it)"))
            }
        }
        for base in bases {
            try inspectSegment(directory: directory, base: base, records: records, indexEntries: indexEntries, handle: handle)
        }
    }

    private static func inspectSegment(directory: String, base: Int64, records: Bool, indexEntries: Bool,
                                       handle: (Event) -> Void) throws {
        let path = SegmentFiles.path(directory, base, SegmentFiles.logSuffix)
        handle(.segment(baseOffset: base, path: path))
        let file = try StorageFile.openReadOnly(path)
        defer { file.close() }
        let size = try file.size()
        var reader = FileBatchReader(file: file, from: 0, end: size, windowSize: 1024 * 1024)
        var starts: [Int: Int64] = [:]
        var count = 0
        var end = 0
        while let (position, batch) = try reader.nextBatch() {
            handle(.batch(describe(batch, at: position, records: records)))
            starts[position] = batch.baseOffset
            count += 1
            end = position + batch.totalSize
        }
        var reason: String?
        switch reader.stop {
        case let .truncated(position): reason = "torn batch at position \(position)"
        case let .invalid(position, why): reason = "not a batch at position \(position): \(why)"
        default: break
        }
        var summary = SegmentSummary(baseOffset: base, path: path, fileSize: size, batchCount: count,
                                     trailingBytes: size - end, endReason: reason, indexProblems: [])
        if let bytes = try AtomicFile.read(SegmentFiles.path(directory, base, SegmentFiles.indexSuffix)) {
            summary.indexEntries = bytes.count / OffsetIndex.entrySize
            if let index = OffsetIndex.decode(bytes, baseOffset: base, logSize: max(size, 1)) {
                for i in 0..<index.count {
                    let offset = base + Int64(index.relativeOffsets[i])
                    let position = Int(index.positions[i])
                    if indexEntries { handle(.indexEntry(offset: offset, position: position)) }
                    if starts[position] != offset {
                        summary.indexProblems.append("index entry \(offset)@\(position) does not point at that batch")
                    }
                }
            } else {
                summary.indexProblems.append("the offset index is malformed (the loader rebuilds it)")
            }
        }
        if let bytes = try AtomicFile.read(SegmentFiles.path(directory, base, SegmentFiles.timeIndexSuffix)) {
            summary.timeIndexEntries = bytes.count / TimeIndex.entrySize
            if let index = TimeIndex.decode(bytes, baseOffset: base, nextOffset: Int64.max) {
                if indexEntries {
                    for i in 0..<index.count {
                        handle(.timeIndexEntry(timestamp: index.timestamps[i], offset: base + Int64(index.relativeOffsets[i])))
                    }
                }
            } else {
                summary.indexProblems.append("the time index is malformed (the loader rebuilds it)")
            }
        }
        handle(.segmentEnd(summary))
    }

    static func describe(_ batch: RecordBatch, at position: Int, records: Bool) -> Batch {
        var problem: String?
        do { try batch.validate() } catch { problem = "\(error)" }
        var out = Batch(
            position: position, size: batch.totalSize, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset,
            recordCount: batch.recordCount, partitionLeaderEpoch: batch.partitionLeaderEpoch, magic: batch.magic,
            crc: batch.crc, isValid: problem == nil, problem: problem,
            compression: batch.compression?.description ?? "unknown(\(batch.attributes.compressionBits))",
            timestampType: batch.attributes.timestampType, baseTimestamp: batch.baseTimestamp,
            maxTimestamp: batch.maxTimestamp, producerId: batch.producerId, producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence, lastSequence: batch.lastSequence,
            isTransactional: batch.isTransactional, isControl: batch.isControl, records: nil, recordsError: nil)
        if records {
            do { out.records = try batch.records() } catch { out.recordsError = "\(error)" }
        }
        return out
    }
}
