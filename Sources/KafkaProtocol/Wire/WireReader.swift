import NIOCore

/// Reads Kafka's primitive types from a byte buffer, throwing ``WireError`` on malformed input.
///
/// Every length read from the input is checked against the bytes that remain before anything is
/// allocated or sliced, so a hostile length prefix costs nothing. Byte strings and record sets
/// come back as slices that share the input's storage (no copy).
///
/// ```swift
/// var reader = WireReader(buffer)
/// let apiKey = try reader.readInt16()
/// let clientId = try reader.readNullableString(compact: false)
/// ```
public struct WireReader {
    public var buffer: ByteBuffer

    public init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// The most array elements reserved before any is decoded.
    static let maxReservedElements = 256

    /// Bytes not yet read.
    @inlinable public var remaining: Int { buffer.readableBytes }

    @inlinable
    mutating func need(_ count: Int) throws {
        if buffer.readableBytes < count {
            throw WireError.truncated(needed: count, available: buffer.readableBytes)
        }
    }

    // MARK: Fixed-width integers

    @inlinable
    public mutating func readInt8() throws -> Int8 {
        guard let v = buffer.readInteger(as: Int8.self) else { throw WireError.truncated(needed: 1, available: remaining) }
        return v
    }

    @inlinable
    public mutating func readInt16() throws -> Int16 {
        guard let v = buffer.readInteger(as: Int16.self) else { throw WireError.truncated(needed: 2, available: remaining) }
        return v
    }

    @inlinable
    public mutating func readUInt16() throws -> UInt16 {
        guard let v = buffer.readInteger(as: UInt16.self) else { throw WireError.truncated(needed: 2, available: remaining) }
        return v
    }

    @inlinable
    public mutating func readInt32() throws -> Int32 {
        guard let v = buffer.readInteger(as: Int32.self) else { throw WireError.truncated(needed: 4, available: remaining) }
        return v
    }

    @inlinable
    public mutating func readUInt32() throws -> UInt32 {
        guard let v = buffer.readInteger(as: UInt32.self) else { throw WireError.truncated(needed: 4, available: remaining) }
        return v
    }

    @inlinable
    public mutating func readInt64() throws -> Int64 {
        guard let v = buffer.readInteger(as: Int64.self) else { throw WireError.truncated(needed: 8, available: remaining) }
        return v
    }

    public mutating func readFloat64() throws -> Double {
        Double(bitPattern: UInt64(bitPattern: try readInt64()))
    }

    /// Kafka encodes booleans as one byte; any non-zero value is true, as in the Java client.
    public mutating func readBool() throws -> Bool {
        try readInt8() != 0
    }

    public mutating func readUUID() throws -> KafkaUUID {
        let high = UInt64(bitPattern: try readInt64())
        let low = UInt64(bitPattern: try readInt64())
        return KafkaUUID(high: high, low: low)
    }

    // MARK: Varints

    /// An unsigned LEB128 varint of at most 5 bytes (32 bits).
    public mutating func readUnsignedVarint() throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                throw WireError.truncated(needed: 1, available: 0)
            }
            if shift == 28 && byte & 0xF0 != 0 { throw WireError.varintTooLong }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// An unsigned LEB128 varint of at most 10 bytes (64 bits).
    public mutating func readUnsignedVarlong() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                throw WireError.truncated(needed: 1, available: 0)
            }
            if shift == 63 && byte & 0xFE != 0 { throw WireError.varintTooLong }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag-encoded signed 32-bit varint (record fields).
    public mutating func readVarint() throws -> Int32 {
        let raw = try readUnsignedVarint()
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A zigzag-encoded signed 64-bit varint (record timestamps and offsets deltas).
    public mutating func readVarlong() throws -> Int64 {
        let raw = try readUnsignedVarlong()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    // MARK: Lengths

    /// Reads a length prefix; nil means null (-1, or 0 in the compact form).
    /// The returned length is guaranteed not to exceed the bytes remaining.
    @inlinable
    public mutating func readLength(compact: Bool, wide: Bool = false) throws -> Int? {
        let length: Int
        if compact {
            length = Int(try readUnsignedVarint()) - 1
        } else if wide {
            length = Int(try readInt32())
        } else {
            length = Int(try readInt16())
        }
        if length == -1 { return nil }
        if length < -1 { throw WireError.negativeLength(length) }
        if length > remaining { throw WireError.lengthExceedsInput(length, available: remaining) }
        return length
    }

    /// Reads an array's element count; nil means a null array. A count above the bytes remaining
    /// is refused (every element Kafka defines takes at least one byte).
    public mutating func readArrayCount(compact: Bool) throws -> Int? {
        let count: Int
        if compact {
            count = Int(try readUnsignedVarint()) - 1
        } else {
            count = Int(try readInt32())
        }
        if count == -1 { return nil }
        if count < -1 { throw WireError.negativeLength(count) }
        if count > remaining { throw WireError.lengthExceedsInput(count, available: remaining) }
        return count
    }

    // MARK: Strings and bytes

    public mutating func readNullableString(compact: Bool) throws -> String? {
        guard let length = try readLength(compact: compact) else { return nil }
        // Validated above: length <= readableBytes, so this cannot return nil.
        return buffer.readString(length: length) ?? ""
    }

    public mutating func readString(compact: Bool, field: String = "string") throws -> String {
        guard let s = try readNullableString(compact: compact) else { throw WireError.unexpectedNull(field) }
        return s
    }

    /// A byte string as a slice of the input (shared storage, no copy).
    public mutating func readNullableBytes(compact: Bool) throws -> ByteBuffer? {
        guard let length = try readLength(compact: compact, wide: true) else { return nil }
        return buffer.readSlice(length: length)
    }

    public mutating func readBytes(compact: Bool, field: String = "bytes") throws -> ByteBuffer {
        guard let b = try readNullableBytes(compact: compact) else { throw WireError.unexpectedNull(field) }
        return b
    }

    /// A nullable record set (the `records` type of the specs) as a slice of the input.
    public mutating func readRecords(compact: Bool) throws -> RecordsPayload? {
        guard let bytes = try readNullableBytes(compact: compact) else { return nil }
        return .bytes(bytes)
    }

    /// A record set where the spec does not allow null.
    public mutating func readNonNullRecords(compact: Bool, field: String = "records") throws -> RecordsPayload {
        guard let records = try readRecords(compact: compact) else { throw WireError.unexpectedNull(field) }
        return records
    }

    /// Takes `count` bytes as a slice (shared storage).
    public mutating func readSlice(_ count: Int) throws -> ByteBuffer {
        if count < 0 { throw WireError.negativeLength(count) }
        guard let slice = buffer.readSlice(length: count) else { throw WireError.truncated(needed: count, available: remaining) }
        return slice
    }

    public mutating func skip(_ count: Int) throws {
        try need(count)
        buffer.moveReaderIndex(forwardBy: count)
    }

    // MARK: Arrays

    public mutating func readNullableArray<T>(
        compact: Bool, _ element: (inout WireReader) throws -> T
    ) throws -> [T]? {
        guard let count = try readArrayCount(compact: compact) else { return nil }
        var result = [T]()
        // A decoded element can be much larger than its bytes on the wire, so reserve only a
        // modest amount up front and let the array grow with elements actually decoded.
        result.reserveCapacity(Swift.min(count, Self.maxReservedElements))
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    public mutating func readArray<T>(
        compact: Bool, field: String = "array", _ element: (inout WireReader) throws -> T
    ) throws -> [T] {
        guard let a = try readNullableArray(compact: compact, element) else { throw WireError.unexpectedNull(field) }
        return a
    }

    // MARK: Tagged fields

    /// Reads a tagged-field section. `known` is called with a reader limited to the field's bytes
    /// and returns false for tags it does not know; those are kept as ``TaggedField`` values so
    /// that re-encoding preserves them.
    public mutating func readTaggedFields(
        _ known: (UInt32, inout WireReader) throws -> Bool
    ) throws -> [TaggedField] {
        let count = Int(try readUnsignedVarint())
        if count > remaining { throw WireError.lengthExceedsInput(count, available: remaining) }
        var unknown = [TaggedField]()
        var lastTag: Int64 = -1
        for _ in 0..<count {
            let tag = try readUnsignedVarint()
            if Int64(tag) <= lastTag { throw WireError.invalidValue("tagged fields out of order (tag \(tag))") }
            lastTag = Int64(tag)
            let size = Int(try readUnsignedVarint())
            let data = try readSlice(size)
            var sub = WireReader(data)
            if try known(tag, &sub) {
                // A known field must fill its declared size exactly, as its encoder wrote it.
                if sub.remaining > 0 {
                    throw WireError.invalidValue("tagged field \(tag) has \(sub.remaining) bytes beyond its value")
                }
            } else {
                unknown.append(TaggedField(tag: tag, data: data))
            }
        }
        return unknown
    }
}

/// A tagged field the decoder did not recognise, kept verbatim.
public struct TaggedField: Equatable, Sendable {
    public var tag: UInt32
    public var data: ByteBuffer

    public init(tag: UInt32, data: ByteBuffer) {
        self.tag = tag
        self.data = data
    }
}

extension WireReader {
    /// A nullable struct: one signed byte, -1 for null, then the struct when present.
    public mutating func readNullableStruct<T>(_ body: (inout WireReader) throws -> T) throws -> T? {
        if try readInt8() < 0 { return nil }
        return try body(&self)
    }
}
