import NIOCore

/// Kafka's codec 2. Producers send one of two forms:
///
/// - a raw snappy block (librdkafka, and so kcat and confluent-kafka);
/// - the xerial framing of snappy-java (the Java client, kafka-python, aiokafka): the 8-byte magic
///   `\x82SNAPPY\0`, a big-endian version and minimum-compatible version (both 1), then chunks of
///   [int32 big-endian length][raw snappy block].
///
/// Decoding looks at the first 8 bytes only, like librdkafka and kafka-python (some producers
/// write the two version ints little-endian, so they are not checked).
///
/// Encoding writes the xerial form with 32 KB chunks, version 1 and compat 1: it is what Kafka's
/// own Java client and broker write, and every consumer reads it — the Java client through
/// snappy-java's `SnappyInputStream`, librdkafka through its snappy-java branch
/// (`rdkafka_msgset_reader.c`), kafka-python and aiokafka through `_detect_xerial_stream`. The
/// raw form is read by all of them too, but aiokafka's detection compares the whole 16-byte
/// header with version 1/compat 1, so those values are fixed. The exception is empty input:
/// a header-only xerial stream (16 bytes) is taken for a raw block by librdkafka (which wants
/// more than 20 bytes) and by kafka-python/aiokafka (more than 16), and fails there, so empty
/// input is written as the one-byte raw block every reader accepts.
enum SnappyCodec {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSize = 16
    /// snappy-java's default block size, also kafka-python's.
    static let xerialChunkSize = 32 * 1024

    static func isXerial(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= xerialHeaderSize && xerialMagic.indices.allSatisfy { bytes[$0] == xerialMagic[$0] }
    }

    static func decompress(_ input: ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        try input.withCodecInput(.snappy) { input in
            var output = CodecOutput(codec: .snappy, limit: maxSize, expected: input.remaining * 3)
            if isXerial(input.bytes) {
                _ = try input.take(xerialHeaderSize, "xerial header")
                while !input.isAtEnd {
                    let length = try input.int32BigEndian("xerial chunk length")
                    guard length >= 0 else { throw CompressionError.corrupt(.snappy, "negative xerial chunk length \(length)") }
                    let chunk = try input.take(Int(length), "xerial chunk")
                    try SnappyBlock.decode(chunk, into: &output)
                }
            } else {
                try SnappyBlock.decode(input.bytes, into: &output)
            }
            return output.buffer
        }
    }

    static func compress(_ input: ByteBuffer) -> ByteBuffer {
        input.withUnsafeReadableBytes { source in
            var out: [UInt8] = []
            if source.isEmpty {
                SnappyBlock.compress(source, into: &out)
                return ByteBuffer(bytes: out)
            }
            out.reserveCapacity(xerialHeaderSize + source.count + source.count / 6 + 64)
            out.append(contentsOf: xerialMagic)
            out.append(contentsOf: [0, 0, 0, 1, 0, 0, 0, 1])  // version 1, minimum compatible version 1
            var offset = 0
            while offset < source.count {
                let chunk = UnsafeRawBufferPointer(rebasing: source[offset..<min(offset + xerialChunkSize, source.count)])
                let lengthAt = out.count
                out.append(contentsOf: [0, 0, 0, 0])
                SnappyBlock.compress(chunk, into: &out)
                let length = UInt32(out.count - lengthAt - 4)
                for i in 0..<4 { out[lengthAt + i] = UInt8(truncatingIfNeeded: length >> UInt32(24 - 8 * i)) }
                offset += chunk.count
            }
            return ByteBuffer(bytes: out)
        }
    }
}
