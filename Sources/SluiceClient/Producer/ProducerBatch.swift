import KafkaProtocol
import NIOCore
import SluiceBase

/// Who is told when a record of a batch is acknowledged or fails.
enum DeliveryTarget: Sendable {
    case continuation(CheckedContinuation<RecordMetadata, Error>)
    case callback(@Sendable (Result<RecordMetadata, KafkaClientError>) -> Void)
}

/// A batch being filled for one partition, then sent (and perhaps re-sent) as one record batch.
///
/// Records are written straight into the batch's buffer behind a reserved 61-byte header, with
/// their sizes computed up front (no per-record buffer). ``seal(...)`` compresses the records
/// section and fills the header (producer id, epoch, base sequence, CRC-32C) once, when the batch
/// is first drained; retries resend the same bytes, so the broker can recognise duplicates.
struct ProducerBatch: Sendable {
    let id: UInt64
    let topicPartition: TopicPartition
    let createdAt: UInt64
    private(set) var records: ByteBuffer
    private(set) var recordCount: Int32 = 0
    private(set) var firstTimestamp: Int64 = 0
    private(set) var maxTimestamp: Int64 = -1
    /// Records with someone waiting on them, by index within the batch.
    private(set) var deliveries: [(index: Int32, target: DeliveryTarget)] = []
    /// The finished batch, after ``seal``.
    private(set) var sealed: ByteBuffer?
    private(set) var baseSequence: Int32 = -1
    var attempts = 0
    var retryNotBefore: UInt64 = 0
    /// Whether an attempt ended without knowing if the broker wrote the batch (a timeout, a
    /// connection lost after the request went out): a final failure then says it may have been
    /// written.
    var outcomeUnknown = false
    /// Why the latest attempt failed.
    var lastError: KafkaClientError?

    init(id: UInt64, topicPartition: TopicPartition, capacity: Int, allocator: ByteBufferAllocator, now: UInt64) {
        self.id = id
        self.topicPartition = topicPartition
        self.createdAt = now
        self.records = allocator.buffer(capacity: capacity)
        // Room for the header, filled in place by `seal` when the batch is not compressed.
        self.records.writeRepeatingByte(0, count: RecordBatch.headerSize)
    }

    /// Bytes the batch would take uncompressed.
    var sizeInBytes: Int { sealedSize ?? records.readableBytes }
    private var sealedSize: Int?

    var isSealed: Bool { sealed != nil }

    /// The encoded size of a record in a batch, its length prefix included.
    static func encodedSize(key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader],
                            offsetDelta: Int32, timestampDelta: Int64) -> (total: Int, body: Int) {
        var body = 1 + VarInt.size(zigzag64: timestampDelta) + VarInt.size(zigzag32: offsetDelta)
        body += Self.fieldSize(key?.readableBytes)
        body += Self.fieldSize(value?.readableBytes)
        body += VarInt.size(zigzag32: Int32(headers.count))
        for h in headers {
            body += Self.fieldSize(h.key.utf8.count) + Self.fieldSize(h.value?.readableBytes)
        }
        return (VarInt.size(zigzag32: Int32(body)) + body, body)
    }

    @inline(__always)
    private static func fieldSize(_ length: Int?) -> Int {
        guard let length else { return 1 }
        return VarInt.size(zigzag32: Int32(length)) + length
    }

    /// Whether a record of `size` bytes fits under `limit` (an empty batch takes any record).
    func hasRoom(for size: Int, limit: Int) -> Bool {
        recordCount == 0 || sizeInBytes + size <= limit
    }

    /// Appends a record. Returns the bytes it took.
    @discardableResult
    mutating func append(key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader], timestamp: Int64,
                         delivery: DeliveryTarget?) -> Int {
        if recordCount == 0 { firstTimestamp = timestamp }
        let index = recordCount
        let delta = timestamp &- firstTimestamp
        let size = Self.encodedSize(key: key, value: value, headers: headers, offsetDelta: index, timestampDelta: delta)
        records.reserveCapacity(minimumWritableBytes: size.total)
        VarInt.write(zigzag32: Int32(size.body), to: &records)
        records.writeInteger(UInt8(0))
        VarInt.write(zigzag64: delta, to: &records)
        VarInt.write(zigzag32: index, to: &records)
        Self.writeField(key, to: &records)
        Self.writeField(value, to: &records)
        VarInt.write(zigzag32: Int32(headers.count), to: &records)
        for h in headers {
            VarInt.write(zigzag32: Int32(h.key.utf8.count), to: &records)
            records.writeString(h.key)
            Self.writeField(h.value, to: &records)
        }
        maxTimestamp = max(maxTimestamp, timestamp)
        recordCount += 1
        if let delivery { deliveries.append((index, delivery)) }
        return size.total
    }

    @inline(__always)
    private static func writeField(_ field: ByteBuffer?, to buffer: inout ByteBuffer) {
        guard let field else {
            VarInt.write(zigzag32: -1, to: &buffer)
            return
        }
        VarInt.write(zigzag32: Int32(field.readableBytes), to: &buffer)
        buffer.writeImmutableBuffer(field)
    }

    /// Compresses the records and writes the header. Idempotent producers pass their id, epoch and
    /// the partition's next sequence number.
    mutating func seal(compression: CompressionCodec, producerId: Int64, producerEpoch: Int16, baseSequence: Int32,
                       allocator: ByteBufferAllocator) throws {
        precondition(sealed == nil, "a batch is sealed once")
        let uncompressedSize = records.readableBytes
        var out: ByteBuffer
        if compression == .none {
            // The header goes into the space reserved at the front: no copy of the records.
            out = records
            records = ByteBuffer()
        } else {
            let section = try compression.compress(records.getSlice(at: records.readerIndex + RecordBatch.headerSize,
                                                                     length: records.readableBytes - RecordBatch.headerSize)!)
            out = allocator.buffer(capacity: RecordBatch.headerSize + section.readableBytes)
            out.writeRepeatingByte(0, count: RecordBatch.headerSize)
            out.writeImmutableBuffer(section)
        }
        let base = out.readerIndex
        out.setInteger(Int64(0), at: base)
        out.setInteger(Int32(out.readableBytes - RecordBatch.logOverhead), at: base + 8)
        out.setInteger(Int32(-1), at: base + 12)
        out.setInteger(RecordBatch.currentMagic, at: base + 16)
        out.setInteger(RecordBatchAttributes(compression: compression).rawValue, at: base + 21)
        out.setInteger(max(recordCount - 1, 0), at: base + 23)
        out.setInteger(firstTimestamp, at: base + 27)
        out.setInteger(maxTimestamp, at: base + 35)
        out.setInteger(producerId, at: base + 43)
        out.setInteger(producerEpoch, at: base + 51)
        out.setInteger(baseSequence, at: base + 53)
        out.setInteger(recordCount, at: base + 57)
        let crc = out.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
        }
        out.setInteger(crc, at: base + 17)
        // `sizeInBytes` keeps the uncompressed size, for memory accounting.
        sealedSize = uncompressedSize
        records = ByteBuffer()
        self.baseSequence = baseSequence
        self.sealed = out
    }

    /// Hands each waiting record its result; returns how many records the batch held.
    func complete(_ result: Result<(baseOffset: Int64, logAppendTime: Int64), KafkaClientError>) {
        for (index, target) in deliveries {
            let outcome: Result<RecordMetadata, KafkaClientError> = result.map { info in
                let offset = info.baseOffset >= 0 ? info.baseOffset + Int64(index) : -1
                let timestamp = info.logAppendTime >= 0 ? info.logAppendTime : firstTimestamp
                return RecordMetadata(topic: topicPartition.topic, partition: topicPartition.partition,
                                      offset: offset, timestamp: timestamp)
            }
            switch target {
            case let .continuation(c): c.resume(with: outcome.mapError { $0 as Error })
            case let .callback(f): f(outcome)
            }
        }
    }
}

/// Zigzag varints as record fields use them.
enum VarInt {
    @inline(__always)
    static func size(zigzag32 v: Int32) -> Int {
        size(unsigned: UInt64(UInt32(bitPattern: (v << 1) ^ (v >> 31))))
    }

    @inline(__always)
    static func size(zigzag64 v: Int64) -> Int {
        size(unsigned: UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    @inline(__always)
    static func size(unsigned v: UInt64) -> Int {
        let bits = 64 - v.leadingZeroBitCount
        return max(1, (bits + 6) / 7)
    }

    @inline(__always)
    static func write(zigzag32 v: Int32, to buffer: inout ByteBuffer) {
        write(unsigned: UInt64(UInt32(bitPattern: (v << 1) ^ (v >> 31))), to: &buffer)
    }

    @inline(__always)
    static func write(zigzag64 v: Int64, to buffer: inout ByteBuffer) {
        write(unsigned: UInt64(bitPattern: (v << 1) ^ (v >> 63)), to: &buffer)
    }

    @inline(__always)
    static func write(unsigned value: UInt64, to buffer: inout ByteBuffer) {
        var v = value
        while v >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }
}
