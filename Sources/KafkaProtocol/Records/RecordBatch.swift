import NIOCore
import SluiceBase

/// A record batch (magic 2) as it travels on the wire and lies in a segment file, viewed in
/// place: reading a field reads the bytes, and nothing is decoded until asked for.
///
/// Layout (big-endian):
///
/// | offset | field | note |
/// |---|---|---|
/// | 0 | baseOffset: int64 | assigned by the leader; outside the CRC |
/// | 8 | batchLength: int32 | bytes after this field |
/// | 12 | partitionLeaderEpoch: int32 | set by the leader; outside the CRC |
/// | 16 | magic: int8 | 2 |
/// | 17 | crc: uint32 | CRC-32C of bytes 21..<end |
/// | 21 | attributes: int16 | codec, timestamp type, transactional, control |
/// | 23 | lastOffsetDelta: int32 | |
/// | 27 | baseTimestamp: int64 | |
/// | 35 | maxTimestamp: int64 | |
/// | 43 | producerId: int64 | |
/// | 51 | producerEpoch: int16 | |
/// | 53 | baseSequence: int32 | |
/// | 57 | recordCount: int32 | |
/// | 61 | records | compressed as a whole when the codec is not none |
///
/// Invariant: `bytes` holds exactly one batch (`bytes.readableBytes == totalSize`); the
/// initialisers check the length fields, and ``validate()`` checks magic, CRC and counts.
public struct RecordBatch: Sendable, Equatable {
    public static let headerSize = 61
    /// Bytes before `batchLength`'s coverage starts (baseOffset + batchLength).
    public static let logOverhead = 12
    public static let currentMagic: Int8 = 2

    enum Field {
        static let baseOffset = 0
        static let batchLength = 8
        static let partitionLeaderEpoch = 12
        static let magic = 16
        static let crc = 17
        static let attributes = 21
        static let lastOffsetDelta = 23
        static let baseTimestamp = 27
        static let maxTimestamp = 35
        static let producerId = 43
        static let producerEpoch = 51
        static let baseSequence = 53
        static let recordCount = 57
    }

    /// Exactly the batch's bytes.
    public private(set) var bytes: ByteBuffer

    /// Wraps `bytes`, which must hold exactly one batch whose length field matches.
    public init(bytes: ByteBuffer) throws {
        guard bytes.readableBytes >= Self.headerSize else {
            throw RecordBatchError.truncated(available: bytes.readableBytes)
        }
        let length = Int(bytes.getInteger(at: bytes.readerIndex + Field.batchLength, as: Int32.self)!)
        guard length >= Self.headerSize - Self.logOverhead, length + Self.logOverhead == bytes.readableBytes else {
            throw RecordBatchError.invalidLength(length)
        }
        self.bytes = bytes
    }

    /// The total size of the batch whose header starts at `buffer`'s reader index, when enough
    /// of the header is there to tell (12 bytes). Throws when the length field is impossible.
    public static func peekSize(_ buffer: ByteBuffer) throws -> Int? {
        guard buffer.readableBytes >= logOverhead else { return nil }
        let length = Int(buffer.getInteger(at: buffer.readerIndex + Field.batchLength, as: Int32.self)!)
        guard length >= headerSize - logOverhead else { throw RecordBatchError.invalidLength(length) }
        return length + logOverhead
    }

    @inline(__always)
    private func read<T: FixedWidthInteger>(_ offset: Int, as: T.Type = T.self) -> T {
        bytes.getInteger(at: bytes.readerIndex + offset, as: T.self)!
    }

    public var totalSize: Int { bytes.readableBytes }
    public var baseOffset: Int64 { read(Field.baseOffset) }
    public var batchLength: Int32 { read(Field.batchLength) }
    public var partitionLeaderEpoch: Int32 { read(Field.partitionLeaderEpoch) }
    public var magic: Int8 { read(Field.magic) }
    public var crc: UInt32 { read(Field.crc) }
    public var attributes: RecordBatchAttributes { RecordBatchAttributes(rawValue: read(Field.attributes)) }
    public var lastOffsetDelta: Int32 { read(Field.lastOffsetDelta) }
    public var baseTimestamp: Int64 { read(Field.baseTimestamp) }
    public var maxTimestamp: Int64 { read(Field.maxTimestamp) }
    public var producerId: Int64 { read(Field.producerId) }
    public var producerEpoch: Int16 { read(Field.producerEpoch) }
    public var baseSequence: Int32 { read(Field.baseSequence) }
    public var recordCount: Int32 { read(Field.recordCount) }

    // Wrapping arithmetic: these are read from untrusted bytes and must not trap.
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    public var nextOffset: Int64 { lastOffset &+ 1 }
    public var compression: CompressionCodec? { CompressionCodec(rawValue: attributes.compressionBits) }
    public var isControl: Bool { attributes.isControl }
    public var isTransactional: Bool { attributes.isTransactional }
    public var hasProducerId: Bool { producerId >= 0 }

    /// The last sequence number in the batch (wrapping at Int32.max as Kafka does).
    public var lastSequence: Int32 {
        let base = baseSequence
        if base < 0 { return -1 }
        let last = Int64(base) + Int64(lastOffsetDelta)
        return last > Int64(Int32.max) ? Int32(last - Int64(Int32.max) - 1) : Int32(last)
    }

    /// The CRC-32C of the bytes the `crc` field covers.
    public func computeCRC() -> UInt32 {
        bytes.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[Field.attributes...]))
        }
    }

    /// Checks what holds for any stored batch: magic 2, the CRC, a known codec, and a record
    /// count no larger than the offset range (compaction may leave fewer records than offsets,
    /// even none). Does not decompress.
    public func validate() throws {
        guard magic == Self.currentMagic else { throw RecordBatchError.unsupportedMagic(magic) }
        let expected = crc
        let actual = computeCRC()
        guard expected == actual else { throw RecordBatchError.crcMismatch(expected: expected, actual: actual) }
        guard compression != nil else { throw RecordBatchError.unknownCompression(attributes.compressionBits) }
        let count = recordCount
        guard count >= 0, lastOffsetDelta >= 0 else { throw RecordBatchError.invalidRecordCount(count) }
        if !isControl && count > 0 && Int64(lastOffsetDelta) + 1 < Int64(count) {
            throw RecordBatchError.invalidRecordCount(count)
        }
    }

    /// ``validate()`` plus what Kafka's broker demands of a batch a producer sends (its
    /// `LogValidator`): at least one record, and exactly one record per offset of the range.
    public func validateProduced() throws {
        try validate()
        guard recordCount > 0, Int64(lastOffsetDelta) + 1 == Int64(recordCount) else {
            throw RecordBatchError.invalidRecordCount(recordCount)
        }
    }

    /// Sets the base offset (outside the CRC, so the batch stays valid).
    public mutating func setBaseOffset(_ offset: Int64) {
        bytes.setInteger(offset, at: bytes.readerIndex + Field.baseOffset)
    }

    /// Sets the partition leader epoch (outside the CRC).
    public mutating func setPartitionLeaderEpoch(_ epoch: Int32) {
        bytes.setInteger(epoch, at: bytes.readerIndex + Field.partitionLeaderEpoch)
    }

    /// Sets the max timestamp and the LogAppendTime flag, then recomputes the CRC (both are
    /// covered by it). Used for `message.timestamp.type=LogAppendTime`.
    public mutating func setLogAppendTime(_ timestamp: Int64) {
        var attrs = attributes
        attrs.timestampType = .logAppendTime
        bytes.setInteger(attrs.rawValue, at: bytes.readerIndex + Field.attributes)
        bytes.setInteger(timestamp, at: bytes.readerIndex + Field.maxTimestamp)
        bytes.setInteger(computeCRC(), at: bytes.readerIndex + Field.crc)
    }

    /// The records section as stored (compressed when the codec is not none).
    public var recordsSection: ByteBuffer {
        bytes.getSlice(at: bytes.readerIndex + Self.headerSize, length: totalSize - Self.headerSize)!
    }
}

/// The attributes field of a record batch.
public struct RecordBatchAttributes: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    public init(compression: CompressionCodec, timestampType: TimestampType = .createTime,
                isTransactional: Bool = false, isControl: Bool = false) {
        rawValue = Int16(compression.rawValue)
        self.timestampType = timestampType
        self.isTransactional = isTransactional
        self.isControl = isControl
    }

    public var compressionBits: Int8 { Int8(rawValue & 0x07) }

    public var timestampType: TimestampType {
        get { rawValue & 0x08 != 0 ? .logAppendTime : .createTime }
        set { rawValue = newValue == .logAppendTime ? rawValue | 0x08 : rawValue & ~0x08 }
    }

    public var isTransactional: Bool {
        get { rawValue & 0x10 != 0 }
        set { rawValue = newValue ? rawValue | 0x10 : rawValue & ~0x10 }
    }

    public var isControl: Bool {
        get { rawValue & 0x20 != 0 }
        set { rawValue = newValue ? rawValue | 0x20 : rawValue & ~0x20 }
    }

    public var hasDeleteHorizon: Bool {
        get { rawValue & 0x40 != 0 }
        set { rawValue = newValue ? rawValue | 0x40 : rawValue & ~0x40 }
    }
}

/// Which clock a batch's timestamps come from.
public enum TimestampType: Int8, Sendable {
    case createTime = 0
    case logAppendTime = 1
}

/// Why a byte range is not a valid record batch.
public enum RecordBatchError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(available: Int)
    case invalidLength(Int)
    case unsupportedMagic(Int8)
    case crcMismatch(expected: UInt32, actual: UInt32)
    case unknownCompression(Int8)
    case invalidRecordCount(Int32)
    case invalidRecord(String)
    case decompressionFailed(CompressionError)

    public var description: String {
        switch self {
        case let .truncated(available): return "record batch truncated (\(available) bytes)"
        case let .invalidLength(length): return "invalid record batch length \(length)"
        case let .unsupportedMagic(m): return "unsupported record batch magic \(m) (only 2 is supported)"
        case let .crcMismatch(e, a): return "record batch CRC mismatch: stored \(e), computed \(a)"
        case let .unknownCompression(c): return "unknown compression codec \(c)"
        case let .invalidRecordCount(n): return "invalid record count \(n)"
        case let .invalidRecord(reason): return "invalid record: \(reason)"
        case let .decompressionFailed(error): return "cannot decompress the records: \(error)"
        }
    }

    /// The Kafka error code a broker answers with for this batch.
    public var errorCode: ErrorCode {
        switch self {
        case .unsupportedMagic: return .unsupportedForMessageFormat
        case .unknownCompression: return .unsupportedCompressionType
        case .invalidRecord, .invalidRecordCount: return .invalidRecord
        case let .decompressionFailed(error) where error.kind == .unavailable: return .unsupportedCompressionType
        default: return .corruptMessage
        }
    }
}
