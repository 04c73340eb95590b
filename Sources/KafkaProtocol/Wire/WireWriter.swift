import NIOCore

/// Writes Kafka's primitive types.
///
/// Most output lands in one `ByteBuffer`. A record set held in a file (``RecordsPayload/file(_:)``)
/// is not copied: the writer closes the current buffer and queues the file region after it, so a
/// fetch response becomes a list of `IOData` parts that the channel writes with sendfile.
///
/// ```swift
/// var writer = WireWriter()
/// writer.writeInt32(correlationId)
/// writer.writeString("client", compact: true)
/// ```
public struct WireWriter {
    public var buffer: ByteBuffer
    /// Parts already closed off by a file region, in order; `buffer` follows them.
    public private(set) var parts: [IOData] = []
    private var closedByteCount = 0

    public init(allocator: ByteBufferAllocator = ByteBufferAllocator(), capacity: Int = 256) {
        self.buffer = allocator.buffer(capacity: capacity)
    }

    public init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// Total bytes written so far, file regions included.
    public var byteCount: Int { closedByteCount + buffer.readableBytes }

    /// True when everything written is in `buffer` (no file regions).
    public var isContiguous: Bool { parts.isEmpty }

    /// All parts in order, the current buffer last.
    public func finish() -> [IOData] {
        parts + [.byteBuffer(buffer)]
    }

    // MARK: Fixed-width

    @inlinable public mutating func writeInt8(_ v: Int8) { buffer.writeInteger(v) }
    @inlinable public mutating func writeInt16(_ v: Int16) { buffer.writeInteger(v) }
    @inlinable public mutating func writeUInt16(_ v: UInt16) { buffer.writeInteger(v) }
    @inlinable public mutating func writeInt32(_ v: Int32) { buffer.writeInteger(v) }
    @inlinable public mutating func writeUInt32(_ v: UInt32) { buffer.writeInteger(v) }
    @inlinable public mutating func writeInt64(_ v: Int64) { buffer.writeInteger(v) }
    public mutating func writeFloat64(_ v: Double) { buffer.writeInteger(v.bitPattern) }
    public mutating func writeBool(_ v: Bool) { buffer.writeInteger(v ? 1 : 0 as UInt8) }

    public mutating func writeUUID(_ v: KafkaUUID) {
        buffer.writeInteger(v.high)
        buffer.writeInteger(v.low)
    }

    // MARK: Varints

    public mutating func writeUnsignedVarint(_ v: UInt32) {
        var v = v
        while v >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }

    public mutating func writeUnsignedVarlong(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }

    public mutating func writeVarint(_ v: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (v << 1) ^ (v >> 31)))
    }

    public mutating func writeVarlong(_ v: Int64) {
        writeUnsignedVarlong(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    // MARK: Lengths

    /// Writes a length prefix; nil writes null.
    public mutating func writeLength(_ length: Int?, compact: Bool, wide: Bool = false) {
        if compact {
            writeUnsignedVarint(UInt32(truncatingIfNeeded: (length ?? -1) + 1))
        } else if wide {
            writeInt32(Int32(truncatingIfNeeded: length ?? -1))
        } else {
            writeInt16(Int16(truncatingIfNeeded: length ?? -1))
        }
    }

    public mutating func writeArrayCount(_ count: Int?, compact: Bool) {
        if compact {
            writeUnsignedVarint(UInt32(truncatingIfNeeded: (count ?? -1) + 1))
        } else {
            writeInt32(Int32(truncatingIfNeeded: count ?? -1))
        }
    }

    // MARK: Strings and bytes

    /// The longest classic (int16-prefixed) string: Kafka's `Short.MAX_VALUE`.
    public static let maxClassicStringBytes = Int(Int16.max)

    /// Writes a string. A classic string longer than ``maxClassicStringBytes`` (possible only for
    /// free text such as an error message or a config value) is cut at the last whole character
    /// that fits: an int16 length cannot say more, and a wrapped length would corrupt the frame.
    public mutating func writeNullableString(_ s: String?, compact: Bool) {
        guard let s else {
            writeLength(nil, compact: compact)
            return
        }
        let utf8 = s.utf8
        guard !compact, utf8.count > Self.maxClassicStringBytes else {
            writeLength(utf8.count, compact: compact)
            buffer.writeString(s)
            return
        }
        var end = utf8.index(utf8.startIndex, offsetBy: Self.maxClassicStringBytes)
        // Back up over UTF-8 continuation bytes (10xxxxxx) so that the cut falls between characters.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        let prefix = utf8[utf8.startIndex..<end]
        writeLength(prefix.count, compact: false)
        buffer.writeBytes(prefix)
    }

    public mutating func writeString(_ s: String, compact: Bool) {
        writeNullableString(s, compact: compact)
    }

    public mutating func writeNullableBytes(_ b: ByteBuffer?, compact: Bool) {
        guard let b else {
            writeLength(nil, compact: compact, wide: true)
            return
        }
        writeLength(b.readableBytes, compact: compact, wide: true)
        buffer.writeImmutableBuffer(b)
    }

    public mutating func writeBytes(_ b: ByteBuffer, compact: Bool) {
        writeNullableBytes(b, compact: compact)
    }

    public mutating func writeRecords(_ r: RecordsPayload?, compact: Bool) {
        guard let r else {
            writeLength(nil, compact: compact, wide: true)
            return
        }
        writeLength(r.byteCount, compact: compact, wide: true)
        appendRecords(r)
    }

    private mutating func appendRecords(_ r: RecordsPayload) {
        switch r {
        case let .bytes(b):
            buffer.writeImmutableBuffer(b)
        case let .file(region):
            if region.readableBytes == 0 { return }
            closedByteCount += buffer.readableBytes + region.readableBytes
            parts.append(.byteBuffer(buffer))
            parts.append(.fileRegion(region))
            buffer = ByteBufferAllocator().buffer(capacity: 256)
        case let .concatenation(pieces):
            for piece in pieces { appendRecords(piece) }
        }
    }

    /// Writes raw bytes with no prefix.
    public mutating func writeRaw(_ b: ByteBuffer) {
        buffer.writeImmutableBuffer(b)
    }

    // MARK: Arrays

    public mutating func writeNullableArray<T>(_ a: [T]?, compact: Bool, _ element: (inout WireWriter, T) -> Void) {
        guard let a else {
            writeArrayCount(nil, compact: compact)
            return
        }
        writeArrayCount(a.count, compact: compact)
        for e in a { element(&self, e) }
    }

    public mutating func writeArray<T>(_ a: [T], compact: Bool, _ element: (inout WireWriter, T) -> Void) {
        writeNullableArray(a, compact: compact, element)
    }

    // MARK: Tagged fields

    /// Writes a tagged-field section: the known fields that differ from their defaults (the caller
    /// passes only those, sorted by tag, each as a closure writing its value) merged with the
    /// unknown fields kept from decoding.
    public mutating func writeTaggedFields(
        _ known: [(tag: UInt32, write: (inout WireWriter) -> Void)], unknown: [TaggedField]
    ) {
        if known.isEmpty && unknown.isEmpty {
            writeUnsignedVarint(0)
            return
        }
        var all: [(UInt32, ByteBuffer)] = []
        for field in known {
            var sub = WireWriter(capacity: 16)
            field.write(&sub)
            all.append((field.tag, sub.buffer))
        }
        for field in unknown where !known.contains(where: { $0.tag == field.tag }) {
            all.append((field.tag, field.data))
        }
        all.sort { $0.0 < $1.0 }
        writeUnsignedVarint(UInt32(all.count))
        for (tag, data) in all {
            writeUnsignedVarint(tag)
            writeUnsignedVarint(UInt32(data.readableBytes))
            buffer.writeImmutableBuffer(data)
        }
    }
}

extension WireWriter {
    /// A nullable struct: -1 for null, or 1 followed by the struct.
    public mutating func writeNullableStruct<T>(_ value: T?, _ body: (inout WireWriter, T) -> Void) {
        guard let value else {
            writeInt8(-1)
            return
        }
        writeInt8(1)
        body(&self, value)
    }
}
