import KafkaProtocol
import NIOCore

/// The fixed 61-byte header of a record batch (magic 2), parsed from raw bytes of a segment file.
///
/// Storage reads headers, never records, to find positions, offsets and timestamps: the records
/// stay on disk until a fetch sends them. See ``RecordBatch`` for the field layout.
struct BatchHeader: Equatable, Sendable {
    static let size = RecordBatch.headerSize

    var baseOffset: Int64
    var batchLength: Int32
    var partitionLeaderEpoch: Int32
    var magic: Int8
    var crc: UInt32
    var attributes: Int16
    var lastOffsetDelta: Int32
    var baseTimestamp: Int64
    var maxTimestamp: Int64
    var producerId: Int64
    var producerEpoch: Int16
    var baseSequence: Int32
    var recordCount: Int32

    /// Parses the first 61 bytes of `raw` (which must hold at least that many).
    init(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.size)
        func be<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        baseOffset = be(0, Int64.self)
        batchLength = be(8, Int32.self)
        partitionLeaderEpoch = be(12, Int32.self)
        magic = be(16, Int8.self)
        crc = be(17, UInt32.self)
        attributes = be(21, Int16.self)
        lastOffsetDelta = be(23, Int32.self)
        baseTimestamp = be(27, Int64.self)
        maxTimestamp = be(35, Int64.self)
        producerId = be(43, Int64.self)
        producerEpoch = be(51, Int16.self)
        baseSequence = be(53, Int32.self)
        recordCount = be(57, Int32.self)
    }

    init(_ batch: RecordBatch) {
        self = batch.bytes.withUnsafeReadableBytes { BatchHeader($0) }
    }

    var totalSize: Int { Int(batchLength) + RecordBatch.logOverhead }
    var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    var nextOffset: Int64 { lastOffset + 1 }
    var hasProducerId: Bool { producerId >= 0 }
    var isControl: Bool { attributes & 0x20 != 0 }
    var isTransactional: Bool { attributes & 0x10 != 0 }
    var compressionBits: Int8 { Int8(attributes & 0x07) }
    var usesLogAppendTime: Bool { attributes & 0x08 != 0 }

    /// The last sequence number, wrapping at Int32.max as Kafka does.
    var lastSequence: Int32 {
        if baseSequence < 0 { return -1 }
        let last = Int64(baseSequence) + Int64(lastOffsetDelta)
        return last > Int64(Int32.max) ? Int32(last - Int64(Int32.max) - 1) : Int32(last)
    }

    /// Whether the header can be the start of a batch at all: magic 2, a length that covers the
    /// header, non-negative deltas and counts. (The CRC needs the whole batch; see ``FileBatchReader``.)
    var isPlausible: Bool {
        magic == RecordBatch.currentMagic && Int(batchLength) >= Self.size - RecordBatch.logOverhead
            && lastOffsetDelta >= 0 && recordCount >= 0 && baseOffset >= 0
    }
}
