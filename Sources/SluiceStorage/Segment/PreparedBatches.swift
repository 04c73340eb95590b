import KafkaProtocol
import NIOCore

/// Batches ready to be written: for each, a rewritten 61-byte header (offsets, leader epoch,
/// LogAppendTime) and the untouched rest of the batch as received.
///
/// Writing the new header beside the original body (one `pwritev`, or one `pwrite` of a copy for
/// small appends) instead of patching the batch avoids copying record bytes that came in a
/// request buffer. One array allocation per append, whatever the number of batches.
struct PreparedBatches {
    struct Entry {
        var header: BatchHeader
        /// The header's 61 bytes as they will be stored (in 64 bytes of inline storage).
        var headerBytes: HeaderBytes
        var body: ByteBuffer
    }

    private(set) var entries: [Entry] = []
    private(set) var byteCount = 0

    init() {}

    init(_ batches: [RecordBatch]) {
        entries.reserveCapacity(batches.count)
        for batch in batches {
            append(batch)
        }
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    func header(_ i: Int) -> BatchHeader { entries[i].header }
    /// The headers (allocates: for code off the hot path).
    var headers: [BatchHeader] { entries.map(\.header) }

    /// Adds a batch unchanged.
    mutating func append(_ batch: RecordBatch) {
        let bytes = batch.bytes
        var headerBytes = HeaderBytes()
        let header = bytes.withUnsafeReadableBytes { raw in
            headerBytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<BatchHeader.size])) }
            return BatchHeader(raw)
        }
        let body = bytes.getSlice(at: bytes.readerIndex + BatchHeader.size, length: bytes.readableBytes - BatchHeader.size)!
        entries.append(Entry(header: header, headerBytes: headerBytes, body: body))
        byteCount += bytes.readableBytes
    }

    /// Rewrites batch `i`'s base offset and partition leader epoch (outside the CRC).
    mutating func assign(_ i: Int, baseOffset: Int64, leaderEpoch: Int32) {
        entries[i].headerBytes.set(baseOffset, at: 0)
        entries[i].headerBytes.set(leaderEpoch, at: 12)
        entries[i].header.baseOffset = baseOffset
        entries[i].header.partitionLeaderEpoch = leaderEpoch
    }

    /// Marks batch `i` as LogAppendTime with `timestamp` as its max timestamp and recomputes the
    /// CRC over the new header fields and the original records.
    mutating func setLogAppendTime(_ i: Int, timestamp: Int64) {
        let attributes = entries[i].header.attributes | 0x08
        entries[i].headerBytes.set(attributes, at: 21)
        entries[i].headerBytes.set(timestamp, at: 35)
        let headerCRC = entries[i].headerBytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21..<BatchHeader.size]))
        }
        let crc = CRC32C.checksum(entries[i].body, continuing: headerCRC)
        entries[i].headerBytes.set(crc, at: 17)
        entries[i].header.attributes = attributes
        entries[i].header.maxTimestamp = timestamp
        entries[i].header.crc = crc
    }

    /// Calls `body` with pointers to the bytes of batches `range`, header and body alternating.
    func withRawParts<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: range.count * 2) { parts in
            try entries.withUnsafeBufferPointer { all in
                try gather(range.lowerBound, range, all, parts, body)
            }
        }
    }

    private func gather<R>(_ i: Int, _ range: Range<Int>, _ all: UnsafeBufferPointer<Entry>,
                           _ parts: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>,
                           _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        if i == range.upperBound { return try body(UnsafeBufferPointer(parts)) }
        let slot = (i - range.lowerBound) * 2
        // The entries are not mutated during the write, so their inline header bytes stay put.
        let headerStart = UnsafeRawPointer(all.baseAddress! + i) + MemoryLayout<Entry>.offset(of: \Entry.headerBytes)!
        parts[slot] = UnsafeRawBufferPointer(start: headerStart, count: BatchHeader.size)
        return try all[i].body.withUnsafeReadableBytes { raw in
            parts[slot + 1] = raw
            return try gather(i + 1, range, all, parts, body)
        }
    }

    /// Copies every batch, as it will be stored, into `scratch` (which must hold ``byteCount``
    /// bytes) and calls `body` with the copy.
    func copyBytes<R>(into scratch: ScratchBuffer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(byteCount <= scratch.bytes.count)
        var at = 0
        for entry in entries {
            entry.headerBytes.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: scratch.bytes[at...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<BatchHeader.size]))
            }
            at += BatchHeader.size
            entry.body.withUnsafeReadableBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: scratch.bytes[at...]).copyMemory(from: bytes)
                at += bytes.count
            }
        }
        return try body(UnsafeRawBufferPointer(rebasing: scratch.bytes[0..<at]))
    }

    /// The bytes of batch `i` as it will be stored (for tests and tools).
    func batchBytes(_ i: Int) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: BatchHeader.size + entries[i].body.readableBytes)
        entries[i].headerBytes.withUnsafeBytes { out.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<BatchHeader.size])) }
        out.writeImmutableBuffer(entries[i].body)
        return out
    }
}

/// 64 bytes of inline storage for a 61-byte batch header (no allocation).
struct HeaderBytes {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }

    /// Stores `value` big-endian at byte `offset`.
    mutating func set<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
    }
}

/// A fixed block of memory owned by one object (freed with it).
final class ScratchBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { bytes.deallocate() }
}
