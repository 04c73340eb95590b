import KafkaProtocol
import NIOCore
import SluiceBase

/// Batches ready to be written: for each, a rewritten 61-byte header (offsets, leader epoch,
/// LogAppendTime) and the untouched rest of the batch as received.
///
/// Writing the new header beside the original body (one `pwritev`, or one `pwrite` of a copy for
/// small appends) instead of patching the batch avoids copying record bytes that came in a
/// request buffer. One array allocation per append, whatever the number of batches. (A single
/// batch of up to 16 KiB, the common produce, takes a shorter path: see
/// `DiskPartitionLog.appendOne`.)
struct PreparedBatches {
    struct Entry {
        var header: BatchHeader
        /// The header's 61 bytes as they will be stored (in 64 bytes of inline storage).
        var headerBytes: HeaderBytes
        var body: ByteBuffer
    }

    private var entries: [Entry] = []
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

    /// Calls `body` with batch `i`.
    func withEntry<R>(_ i: Int, _ body: (borrowing Entry) throws -> R) rethrows -> R {
        try body(entries[i])
    }

    private mutating func modify(_ i: Int, _ body: (inout Entry) -> Void) {
        body(&entries[i])
    }

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
        modify(i) { entry in
            entry.headerBytes.set(baseOffset, at: 0)
            entry.headerBytes.set(leaderEpoch, at: 12)
            entry.header.baseOffset = baseOffset
            entry.header.partitionLeaderEpoch = leaderEpoch
        }
    }

    /// Marks batch `i` as LogAppendTime with `timestamp` as its max timestamp and recomputes the
    /// CRC over the new header fields and the original records.
    mutating func setLogAppendTime(_ i: Int, timestamp: Int64) {
        modify(i) { entry in
            let attributes = entry.header.attributes | 0x08
            entry.headerBytes.set(attributes, at: 21)
            entry.headerBytes.set(timestamp, at: 35)
            let headerCRC = entry.headerBytes.withUnsafeBytes {
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21..<BatchHeader.size]))
            }
            let crc = CRC32C.checksum(entry.body, continuing: headerCRC)
            entry.headerBytes.set(crc, at: 17)
            entry.header.attributes = attributes
            entry.header.maxTimestamp = timestamp
            entry.header.crc = crc
        }
    }

    /// Calls `body` with pointers to the bytes of batches `range`, header and body alternating
    /// (the headers copied side by side into temporary storage).
    func withRawParts<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        try withUnsafeTemporaryAllocation(of: HeaderBytes.self, capacity: range.count) { headers in
            for (slot, i) in range.enumerated() {
                headers.initializeElement(at: slot, to: withEntry(i) { $0.headerBytes })
            }
            defer { headers.deinitialize() }
            return try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: range.count * 2) { parts in
                try gather(range.lowerBound, range, UnsafeRawPointer(headers.baseAddress!), parts, body)
            }
        }
    }

    private func gather<R>(_ i: Int, _ range: Range<Int>, _ headers: UnsafeRawPointer,
                           _ parts: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>,
                           _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        if i == range.upperBound { return try body(UnsafeBufferPointer(parts)) }
        let slot = (i - range.lowerBound) * 2
        parts[slot] = UnsafeRawBufferPointer(start: headers + (i - range.lowerBound) * MemoryLayout<HeaderBytes>.stride,
                                             count: BatchHeader.size)
        return try withEntry(i) { entry in
            try entry.body.withUnsafeReadableBytes { raw in
                parts[slot + 1] = raw
                return try gather(i + 1, range, headers, parts, body)
            }
        }
    }

    /// Copies every batch, as it will be stored, into `scratch` (which must hold ``byteCount``
    /// bytes) and calls `body` with the copy.
    func copyBytes<R>(into scratch: ScratchBuffer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(byteCount <= scratch.bytes.count)
        var at = 0
        for i in 0..<count {
            withEntry(i) { entry in
                entry.headerBytes.withUnsafeBytes {
                    UnsafeMutableRawBufferPointer(rebasing: scratch.bytes[at...])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<BatchHeader.size]))
                }
                at += BatchHeader.size
                entry.body.withUnsafeReadableBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: scratch.bytes[at...]).copyMemory(from: bytes)
                    at += bytes.count
                }
            }
        }
        return try body(UnsafeRawBufferPointer(rebasing: scratch.bytes[0..<at]))
    }

    /// The bytes of batch `i` as it will be stored (for tests and tools).
    func batchBytes(_ i: Int) -> ByteBuffer {
        withEntry(i) { entry in
            var out = ByteBufferAllocator().buffer(capacity: BatchHeader.size + entry.body.readableBytes)
            entry.headerBytes.withUnsafeBytes { out.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<BatchHeader.size])) }
            out.writeImmutableBuffer(entry.body)
            return out
        }
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
