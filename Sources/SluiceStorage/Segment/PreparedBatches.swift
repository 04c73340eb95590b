import KafkaProtocol
import NIOCore

/// Batches ready to be written: for each, a rewritten 61-byte header (offsets, leader epoch,
/// LogAppendTime) and the untouched rest of the batch as received.
///
/// Writing the new header beside the original body (one `pwritev`) instead of patching the
/// batch avoids copying record bytes that came in a request buffer.
struct PreparedBatches {
    /// All headers back to back, 61 bytes each.
    private(set) var headerBytes: [UInt8] = []
    private(set) var headers: [BatchHeader] = []
    private(set) var bodies: [ByteBuffer] = []
    private(set) var byteCount = 0

    init() {}

    init(_ batches: [RecordBatch]) {
        for batch in batches {
            append(batch)
        }
    }

    var count: Int { headers.count }
    var isEmpty: Bool { headers.isEmpty }

    /// Adds a batch unchanged.
    mutating func append(_ batch: RecordBatch) {
        let bytes = batch.bytes
        bytes.withUnsafeReadableBytes { raw in
            headerBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<BatchHeader.size]))
            headers.append(BatchHeader(raw))
        }
        bodies.append(bytes.getSlice(at: bytes.readerIndex + BatchHeader.size, length: bytes.readableBytes - BatchHeader.size)!)
        byteCount += bytes.readableBytes
    }

    /// Rewrites batch `i`'s base offset and partition leader epoch (outside the CRC).
    mutating func assign(_ i: Int, baseOffset: Int64, leaderEpoch: Int32) {
        setBigEndian(baseOffset, at: i * BatchHeader.size + 0)
        setBigEndian(leaderEpoch, at: i * BatchHeader.size + 12)
        headers[i].baseOffset = baseOffset
        headers[i].partitionLeaderEpoch = leaderEpoch
    }

    /// Marks batch `i` as LogAppendTime with `timestamp` as its max timestamp and recomputes the
    /// CRC over the new header fields and the original records.
    mutating func setLogAppendTime(_ i: Int, timestamp: Int64) {
        let start = i * BatchHeader.size
        let attributes = headers[i].attributes | 0x08
        setBigEndian(attributes, at: start + 21)
        setBigEndian(timestamp, at: start + 35)
        let crcStart = start + 21
        let headerCRC = headerBytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[crcStart..<(start + BatchHeader.size)]))
        }
        let crc = CRC32C.checksum(bodies[i], continuing: headerCRC)
        setBigEndian(crc, at: start + 17)
        headers[i].attributes = attributes
        headers[i].maxTimestamp = timestamp
        headers[i].crc = crc
    }

    private mutating func setBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.bigEndian) { src in
            for (k, byte) in src.enumerated() { headerBytes[offset + k] = byte }
        }
    }

    /// Calls `body` with pointers to the bytes of batches `range`, header and body alternating.
    func withRawParts<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        try headerBytes.withUnsafeBytes { allHeaders in
            try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: range.count * 2) { parts in
                try gather(range.lowerBound, range, allHeaders, parts, body)
            }
        }
    }

    private func gather<R>(_ i: Int, _ range: Range<Int>, _ allHeaders: UnsafeRawBufferPointer,
                           _ parts: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>,
                           _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
        if i == range.upperBound { return try body(UnsafeBufferPointer(parts)) }
        let slot = (i - range.lowerBound) * 2
        parts[slot] = UnsafeRawBufferPointer(rebasing: allHeaders[(i * BatchHeader.size)..<((i + 1) * BatchHeader.size)])
        return try bodies[i].withUnsafeReadableBytes { raw in
            parts[slot + 1] = raw
            return try gather(i + 1, range, allHeaders, parts, body)
        }
    }

    /// The bytes of batch `i` as it will be stored (for tests and tools).
    func batchBytes(_ i: Int) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: BatchHeader.size + bodies[i].readableBytes)
        out.writeBytes(headerBytes[(i * BatchHeader.size)..<((i + 1) * BatchHeader.size)])
        out.writeImmutableBuffer(bodies[i])
        return out
    }
}
