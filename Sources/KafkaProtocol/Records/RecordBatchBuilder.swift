import NIOCore
import SluiceBase

/// Builds a record batch (magic 2) from records.
///
/// ```swift
/// var builder = RecordBatchBuilder(compression: .lz4)
/// builder.append(key: nil, value: ByteBuffer(string: "hello"), timestamp: now)
/// let batch = try builder.build()
/// ```
public struct RecordBatchBuilder {
    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32 = -1
    public var compression: CompressionCodec
    public var timestampType: TimestampType
    public var isTransactional: Bool
    public var isControl: Bool
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32

    private var body: WireWriter
    private var count: Int32 = 0
    private var firstTimestamp: Int64 = 0
    private var maxTimestamp: Int64 = -1

    public init(baseOffset: Int64 = 0, compression: CompressionCodec = .none, timestampType: TimestampType = .createTime,
                producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
                isTransactional: Bool = false, isControl: Bool = false, capacity: Int = 1024) {
        self.baseOffset = baseOffset
        self.compression = compression
        self.timestampType = timestampType
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.body = WireWriter(capacity: capacity)
    }

    public var recordCount: Int { Int(count) }
    public var isEmpty: Bool { count == 0 }

    /// Appends a record with the next offset delta.
    public mutating func append(key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = [], timestamp: Int64) {
        if count == 0 { firstTimestamp = timestamp }
        let record = Record(key: key, value: value, headers: headers)
        record.encode(to: &body, offsetDelta: count, timestampDelta: timestamp &- firstTimestamp)
        maxTimestamp = max(maxTimestamp, timestamp)
        count += 1
    }

    public mutating func append(_ record: Record) {
        append(key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)
    }

    /// The finished batch.
    public func build() throws -> RecordBatch {
        let records = try compression.compress(body.buffer)
        var out = ByteBufferAllocator().buffer(capacity: RecordBatch.headerSize + records.readableBytes)
        out.writeInteger(baseOffset)
        out.writeInteger(Int32(RecordBatch.headerSize - RecordBatch.logOverhead + records.readableBytes))
        out.writeInteger(partitionLeaderEpoch)
        out.writeInteger(RecordBatch.currentMagic)
        out.writeInteger(UInt32(0))  // CRC, filled below
        let attributes = RecordBatchAttributes(compression: compression, timestampType: timestampType,
                                               isTransactional: isTransactional, isControl: isControl)
        out.writeInteger(attributes.rawValue)
        out.writeInteger(max(count - 1, 0))
        out.writeInteger(firstTimestamp)
        out.writeInteger(count == 0 ? firstTimestamp : maxTimestamp)
        out.writeInteger(producerId)
        out.writeInteger(producerEpoch)
        out.writeInteger(baseSequence)
        out.writeInteger(count)
        out.writeImmutableBuffer(records)
        let crc = out.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatch.Field.attributes...]))
        }
        out.setInteger(crc, at: RecordBatch.Field.crc)
        return try RecordBatch(bytes: out)
    }
}
