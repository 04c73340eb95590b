import CompressNIO
import NIOCore

/// Kafka's codec 1: a gzip stream (RFC 1952), through zlib via compress-nio.
///
/// Decoding inflates through a 64 KB window appended to a bounded output, requires the stream
/// to end (zlib checks the gzip trailer's CRC-32 and length), and accepts several gzip members
/// back to back, as Java's `GZIPInputStream` does. Anything else after the last member is an error.
enum GzipCodec {
    private static let window = 64 * 1024

    static func compress(_ input: ByteBuffer) throws -> ByteBuffer {
        do {
            let compressor = try ZlibCompressor(algorithm: .gzip)
            var source = input
            var out = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
            while true {
                do {
                    try compressor.deflate(from: &source, to: &out, flush: .finish)
                    return out
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    out.reserveCapacity(minimumWritableBytes: max(window, out.capacity))
                }
            }
        } catch let error as CompressNIOError {
            throw CompressionError(.gzip, "zlib failed: \(error)")
        }
    }

    static func decompress(_ input: ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        guard input.readableBytes > 0 else { throw CompressionError.corrupt(.gzip, "empty input (no gzip header)") }
        var source = input
        var output = CodecOutput(codec: .gzip, limit: maxSize, expected: input.readableBytes * 4)
        var scratch = ByteBufferAllocator().buffer(capacity: window)
        do {
            var decompressor = try ZlibDecompressor(algorithm: .gzip)
            while true {
                // Inflate until the window fills (go on), input runs out (check for the end), or
                // the member ends (look for another one).
                scratch.clear()
                var returned = false
                do {
                    try decompressor.inflate(from: &source, to: &scratch)
                    returned = true
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    // The window is full.
                } catch let error as CompressNIOError where error == .inputBufferOverflow {
                    throw CompressionError.corrupt(.gzip, "input truncated inside the gzip stream")
                }
                try scratch.withUnsafeReadableBytes { try output.append($0) }
                guard returned else { continue }
                if source.readableBytes == 0 {
                    guard try streamEnded(decompressor) else {
                        throw CompressionError.corrupt(.gzip, "input truncated inside the gzip stream")
                    }
                    return output.buffer
                }
                // The member ended with input left: only another gzip member may follow.
                guard source.getInteger(at: source.readerIndex, as: UInt16.self) == 0x1F8B else {
                    throw CompressionError.corrupt(.gzip, "\(source.readableBytes) bytes of garbage after the gzip stream")
                }
                decompressor = try ZlibDecompressor(algorithm: .gzip)
            }
        } catch let error as CompressNIOError {
            throw CompressionError.corrupt(.gzip, "invalid gzip data (\(error))")
        }
    }

    /// After inflating consumed all input without error: zlib says whether the stream ended
    /// (it answers an empty call with "stream end") or needs more input ("buffer error").
    private static func streamEnded(_ decompressor: ZlibDecompressor) throws -> Bool {
        var empty = ByteBufferAllocator().buffer(capacity: 1)
        var sink = ByteBufferAllocator().buffer(capacity: 16)
        do {
            try decompressor.inflate(from: &empty, to: &sink)
        } catch let error as CompressNIOError where error == .inputBufferOverflow {
            return false
        }
        return sink.readableBytes == 0
    }
}
