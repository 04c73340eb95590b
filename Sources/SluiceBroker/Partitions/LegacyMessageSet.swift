#if canImport(Glibc)
import Glibc
#endif
import KafkaProtocol
import NIOCore

/// Kafka's message formats 0 and 1 (the message sets before record batches), for the old
/// request versions: Produce v0-2 carry them, Fetch v0-1 expect magic 0 and v2-3 magic 1.
///
/// The log stores only magic-2 batches, so produced message sets are up-converted (one batch with
/// the producer's codec) and fetched batches are down-converted (uncompressed messages; record
/// headers have no place in these formats and are dropped, as Kafka drops them).
///
/// Layout of one message: offset int64, size int32, then `size` bytes: crc uint32 (CRC-32, IEEE,
/// of what follows), magic int8, attributes int8 (codec in bits 0-2, LogAppendTime in bit 3 for
/// magic 1), timestamp int64 (magic 1 only), key bytes, value bytes. A compressed message's value
/// is a compressed message set.
enum LegacyMessageSet {
    struct Message {
        var timestamp: Int64
        var key: ByteBuffer?
        var value: ByteBuffer?
    }

    /// The messages of a produced message set, unwrapping compressed ones (one level, as Kafka
    /// allows). Returns the codec the producer used, to keep it.
    static func decode(_ input: ByteBuffer) throws -> (codec: CompressionCodec, messages: [Message]) {
        var codec = CompressionCodec.none
        var messages: [Message] = []
        try forEachMessage(input) { magic, attributes, timestamp, key, value in
            let bits = Int8(attributes & 0x07)
            guard let messageCodec = CompressionCodec(rawValue: bits) else {
                throw ApiError(.unsupportedCompressionType, "unknown compression codec \(bits)")
            }
            if messageCodec == .none {
                messages.append(Message(timestamp: timestamp, key: key, value: value))
                return
            }
            codec = messageCodec
            guard let value else { throw ApiError(.corruptMessage, "a compressed message without a value") }
            let inner = try messageCodec.decompress(value)
            try forEachMessage(inner) { _, innerAttributes, innerTimestamp, key, value in
                guard innerAttributes & 0x07 == 0 else {
                    throw ApiError(.corruptMessage, "nested compressed messages")
                }
                // With LogAppendTime the wrapper's timestamp is every inner message's.
                let stamp = magic >= 1 && attributes & 0x08 != 0 ? timestamp : innerTimestamp
                messages.append(Message(timestamp: stamp, key: key, value: value))
            }
        }
        if messages.isEmpty { throw ApiError(.invalidRecord, "an empty message set") }
        return (codec, messages)
    }

    /// One magic-2 batch holding the produced messages, compressed with the producer's codec.
    static func upConvert(_ input: ByteBuffer) throws -> RecordBatch {
        let (codec, messages) = try decode(input)
        var builder = RecordBatchBuilder(compression: codec, capacity: input.readableBytes + 64)
        for message in messages {
            builder.append(key: message.key, value: message.value, timestamp: message.timestamp)
        }
        return try builder.build()
    }

    /// The records of `batches` at or after `fromOffset` as uncompressed messages of `magic` (0 or 1).
    static func downConvert(_ batches: some Sequence<RecordBatch>, fromOffset: Int64, magic: Int8) throws -> ByteBuffer {
        var out = ByteBuffer()
        for batch in batches where !batch.isControl {
            let logAppendTime = batch.attributes.timestampType == .logAppendTime
            for record in try batch.records() where record.offset >= fromOffset {
                let timestamp = logAppendTime ? batch.maxTimestamp : record.timestamp
                write(offset: record.offset, magic: magic, logAppendTime: logAppendTime, timestamp: timestamp,
                      key: record.key, value: record.value, to: &out)
            }
        }
        return out
    }

    static func write(offset: Int64, magic: Int8, logAppendTime: Bool, timestamp: Int64,
                      key: ByteBuffer?, value: ByteBuffer?, to out: inout ByteBuffer) {
        out.writeInteger(offset)
        let sizeAt = out.writerIndex
        out.writeInteger(Int32(0))
        let crcAt = out.writerIndex
        out.writeInteger(UInt32(0))
        out.writeInteger(magic)
        out.writeInteger(Int8(magic >= 1 && logAppendTime ? 0x08 : 0))
        if magic >= 1 { out.writeInteger(timestamp) }
        for field in [key, value] {
            if let field {
                out.writeInteger(Int32(field.readableBytes))
                out.writeImmutableBuffer(field)
            } else {
                out.writeInteger(Int32(-1))
            }
        }
        out.setInteger(Int32(out.writerIndex - crcAt), at: sizeAt)
        let crc = out.withUnsafeReadableBytes { raw in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[(crcAt + 4 - out.readerIndex)...]))
        }
        out.setInteger(crc, at: crcAt)
    }

    /// Calls `body` with each message's magic, attributes, timestamp (-1 for magic 0), key and value.
    private static func forEachMessage(
        _ input: ByteBuffer,
        _ body: (Int8, Int8, Int64, ByteBuffer?, ByteBuffer?) throws -> Void
    ) throws {
        var buffer = input
        while buffer.readableBytes > 0 {
            guard let _ = buffer.readInteger(as: Int64.self), let size = buffer.readInteger(as: Int32.self),
                  size >= 14, var message = buffer.readSlice(length: Int(size)) else {
                // Old clients may end a set with a partial message: Kafka refuses it in a produce.
                throw ApiError(.corruptMessage, "a truncated message in a message set")
            }
            let stored = message.readInteger(as: UInt32.self)!
            let actual = message.withUnsafeReadableBytes { CRC32.checksum($0) }
            guard stored == actual else {
                throw ApiError(.corruptMessage, "message CRC mismatch: stored \(stored), computed \(actual)")
            }
            let magic = message.readInteger(as: Int8.self)!
            guard magic == 0 || magic == 1 else {
                throw ApiError(.invalidRecord, "magic \(magic) in a message set of an old produce version")
            }
            let attributes = message.readInteger(as: Int8.self)!
            var timestamp: Int64 = -1
            if magic == 1 {
                guard let t = message.readInteger(as: Int64.self) else { throw ApiError(.corruptMessage, "truncated message") }
                timestamp = t
            }
            let key = try readBytes(&message), value = try readBytes(&message)
            try body(magic, attributes, timestamp, key, value)
        }
    }

    private static func readBytes(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.readInteger(as: Int32.self) else { throw ApiError(.corruptMessage, "truncated message") }
        if length < 0 { return nil }
        guard let bytes = buffer.readSlice(length: Int(length)) else { throw ApiError(.corruptMessage, "truncated message") }
        return bytes
    }
}

/// CRC-32 (IEEE 802.3, reflected 0xEDB88320), the checksum of message formats 0 and 1.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

extension RecordsPayload {
    /// The payload's bytes in memory, reading file regions with pread (for down-conversion).
    func loadBytes() throws -> ByteBuffer {
        switch self {
        case let .bytes(bytes):
            return bytes
        case let .file(region):
            var buffer = ByteBufferAllocator().buffer(capacity: region.readableBytes)
            var position = region.readerIndex
            while position < region.endIndex {
                let wanted = region.endIndex - position
                let count = try region.fileHandle.withUnsafeFileDescriptor { fd in
                    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { raw in
                        max(0, pread(fd, raw.baseAddress, wanted, off_t(position)))
                    }
                }
                if count == 0 { break }
                position += count
            }
            return buffer
        case let .concatenation(parts):
            var buffer = ByteBuffer()
            for part in parts {
                var bytes = try part.loadBytes()
                buffer.writeBuffer(&bytes)
            }
            return buffer
        }
    }
}
