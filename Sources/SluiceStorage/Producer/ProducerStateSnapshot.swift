import KafkaProtocol
import SluiceBase

/// A producer state table saved at a log offset: `<offset, 20 digits>.snapshot` in the partition
/// directory, written atomically on segment roll and clean shutdown.
///
/// Format (big-endian): "SPST" magic, version: int16 (1), crc32c: uint32 of everything after it,
/// count: int32, then per producer: id: int64, epoch: int16, lastTimestamp: int64,
/// batchCount: int8, and per batch: firstSeq: int32, lastSeq: int32, lastOffset: int64,
/// offsetDelta: int32, timestamp: int64.
enum ProducerStateSnapshot {
    static let magic: [UInt8] = Array("SPST".utf8)
    static let version: Int16 = 1

    static func encode(_ table: ProducerStateTable) -> [UInt8] {
        var body: [UInt8] = []
        appendBigEndian(Int32(table.entries.count), to: &body)
        for entry in table.entries.values.sorted(by: { $0.producerId < $1.producerId }) {
            appendBigEndian(entry.producerId, to: &body)
            appendBigEndian(entry.producerEpoch, to: &body)
            appendBigEndian(entry.lastTimestamp, to: &body)
            appendBigEndian(Int8(entry.batches.count), to: &body)
            for b in entry.batches {
                appendBigEndian(b.firstSequence, to: &body)
                appendBigEndian(b.lastSequence, to: &body)
                appendBigEndian(b.lastOffset, to: &body)
                appendBigEndian(b.offsetDelta, to: &body)
                appendBigEndian(b.timestamp, to: &body)
            }
        }
        var out = magic
        appendBigEndian(version, to: &out)
        appendBigEndian(CRC32C.checksum(body), to: &out)
        out.append(contentsOf: body)
        return out
    }

    /// The table in `bytes`, or nil when the file is not a valid snapshot.
    static func decode(_ bytes: [UInt8]) -> ProducerStateTable? {
        guard bytes.count >= 14, Array(bytes[0..<4]) == magic else { return nil }
        guard readBigEndian(bytes, at: 4) as Int16 == version else { return nil }
        let crc: UInt32 = readBigEndian(bytes, at: 6)
        let body = Array(bytes[10...])
        guard CRC32C.checksum(body) == crc else { return nil }
        var at = 0
        func take<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard at + MemoryLayout<T>.size <= body.count else { return nil }
            defer { at += MemoryLayout<T>.size }
            return readBigEndian(body, at: at)
        }
        guard let count = take(Int32.self), count >= 0 else { return nil }
        var table = ProducerStateTable()
        for _ in 0..<count {
            guard let id = take(Int64.self), let epoch = take(Int16.self), let lastTs = take(Int64.self),
                  let n = take(Int8.self), n >= 0 else { return nil }
            var entry = ProducerStateEntry(producerId: id, producerEpoch: epoch, lastTimestamp: lastTs)
            for _ in 0..<n {
                guard let first = take(Int32.self), let last = take(Int32.self), let lastOffset = take(Int64.self),
                      let delta = take(Int32.self), let ts = take(Int64.self) else { return nil }
                entry.batches.append(ProducerBatchMetadata(firstSequence: first, lastSequence: last,
                                                           lastOffset: lastOffset, offsetDelta: delta, timestamp: ts))
            }
            table.set(entry)
        }
        return at == body.count ? table : nil
    }

    /// The snapshot offsets present in a partition directory, ascending.
    static func offsets(in directory: String) -> [Int64] {
        ((try? FileSystem.listDirectory(directory)) ?? [])
            .compactMap { SegmentFiles.offset(in: $0, suffix: SegmentFiles.snapshotSuffix) }
            .sorted()
    }

    static func path(_ directory: String, _ offset: Int64) -> String {
        SegmentFiles.path(directory, offset, SegmentFiles.snapshotSuffix)
    }

    /// Not fsynced: a snapshot lost or torn by a machine crash fails its CRC and is replaced by
    /// replaying more of the log.
    static func write(_ table: ProducerStateTable, at offset: Int64, directory: String, faults: StorageFaults?) throws {
        try AtomicFile.write(encode(table), to: path(directory, offset), faults: faults, durable: false)
    }

    /// The newest readable snapshot at or below `offset`; unreadable ones are removed.
    static func latest(atOrBelow offset: Int64, directory: String) -> (offset: Int64, table: ProducerStateTable)? {
        for candidate in offsets(in: directory).reversed() where candidate <= offset {
            if let bytes = try? AtomicFile.read(path(directory, candidate)), let table = decode(bytes) {
                return (candidate, table)
            }
            try? FileSystem.unlinkIfPresent(path(directory, candidate))
        }
        return nil
    }

    /// Removes snapshots above `offset` (after truncation) and all but the newest `keep` below.
    static func prune(directory: String, above offset: Int64?, keep: Int) {
        var remaining: [Int64] = []
        for candidate in offsets(in: directory) {
            if let offset, candidate > offset {
                try? FileSystem.unlinkIfPresent(path(directory, candidate))
            } else {
                remaining.append(candidate)
            }
        }
        for old in remaining.dropLast(keep) {
            try? FileSystem.unlinkIfPresent(path(directory, old))
        }
    }
}
