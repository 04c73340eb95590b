import KafkaProtocol
import NIOCore

/// One record of a batch, located but not copied: its exact bytes (length prefix included) and
/// the fields compaction needs.
struct RawRecord {
    /// The record's bytes as stored, length prefix included: re-usable verbatim in a batch with
    /// the same base offset and base timestamp.
    var bytes: ByteBuffer
    var offsetDelta: Int32
    var timestampDelta: Int64
    var key: ByteBuffer?
    var hasNullValue: Bool
}

/// Reads the records of a batch without decoding headers or copying values.
enum RawRecords {
    /// The records section of `batch`, decompressed when needed.
    static func section(of batch: RecordBatch, maxSize: Int = CompressionCodec.defaultMaxDecompressedSize) throws -> ByteBuffer {
        guard let codec = batch.compression else {
            throw RecordBatchError.unknownCompression(batch.attributes.compressionBits)
        }
        return try codec.decompress(batch.recordsSection, maxSize: maxSize)
    }

    /// Parses `count` records from a (decompressed) records section.
    static func parse(_ section: ByteBuffer, count: Int32) throws -> [RawRecord] {
        guard count >= 0, Int(count) <= section.readableBytes else { throw RecordBatchError.invalidRecordCount(count) }
        var reader = WireReader(section)
        var out: [RawRecord] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count {
            let start = reader.buffer
            let length = Int(try reader.readVarint())
            guard length >= 0, length <= reader.remaining else {
                throw RecordBatchError.invalidRecord("record length \(length) with \(reader.remaining) bytes left")
            }
            let prefix = start.readableBytes - reader.remaining
            var body = WireReader(try reader.readSlice(length))
            _ = try body.readInt8()
            let timestampDelta = try body.readVarlong()
            let offsetDelta = try body.readVarint()
            let keyLength = Int(try body.readVarint())
            var key: ByteBuffer?
            if keyLength >= 0 {
                guard keyLength <= body.remaining else { throw RecordBatchError.invalidRecord("key length \(keyLength)") }
                key = try body.readSlice(keyLength)
            }
            let valueLength = Int(try body.readVarint())
            out.append(RawRecord(bytes: start.getSlice(at: start.readerIndex, length: prefix + length)!,
                                 offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key,
                                 hasNullValue: valueLength < 0))
        }
        return out
    }
}
