import CZstd
import NIOCore

/// Kafka's codec 4, through the system's libzstd (loaded at run time by the CZstd shim).
///
/// Compression uses level 3, Kafka's default (`compression.zstd.level`, KIP-390). Decompression
/// streams, so concatenated frames and frames without a declared size work, and the output is
/// grown only as libzstd produces it, never past the caller's bound.
enum ZstdCodec {
    static let level: Int32 = 3
    private static let chunk = 128 * 1024

    static var isAvailable: Bool { sluice_zstd_available() != 0 }

    /// Throws the codec's "unavailable" error unless libzstd was loaded.
    static func requireLibrary(loaded: Bool = isAvailable) throws {
        guard loaded else {
            throw CompressionError(
                .zstd, "libzstd.so.1 could not be loaded (on Debian it is the libzstd1 package)", kind: .unavailable)
        }
    }

    static func compress(_ input: ByteBuffer) throws -> ByteBuffer {
        try requireLibrary()
        let bound = sluice_zstd_compress_bound(input.readableBytes)
        var out = ByteBufferAllocator().buffer(capacity: bound)
        let written = input.withUnsafeReadableBytes { source in
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { target in
                Int(sluice_zstd_compress(target.baseAddress, bound, source.baseAddress, source.count, level))
            }
        }
        guard written > 0 else { throw CompressionError(.zstd, "compression failed", kind: .corrupt) }
        return out
    }

    static func decompress(_ input: ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        try requireLibrary()
        guard let context = sluice_zstd_dctx_create() else {
            throw CompressionError(.zstd, "could not create a decompression context", kind: .unavailable)
        }
        defer { sluice_zstd_dctx_free(context) }
        var output = CodecOutput(codec: .zstd, limit: maxSize, expected: input.readableBytes * 4)
        try input.withUnsafeReadableBytes { source in
            var position = 0
            // libzstd's last answer: 0 once a frame is decoded and flushed, a size hint before that.
            // (After a frame ends it expects the next one, so a later call without input answers
            // with a hint again: remember the 0 rather than asking twice.)
            var hint = 1
            while true {
                if position == source.count && hint == 0 { return }
                let before = (input: position, output: output.count)
                let room = output.limit - output.count
                if room == 0 {
                    // At the limit: one more byte of output means the data is too large.
                    var probe: UInt8 = 0
                    var produced = 0
                    hint = sluice_zstd_decompress_stream(
                        context, source.baseAddress, source.count, &position, &probe, 1, &produced)
                    if hint >= 0 && produced > 0 { throw CompressionError.outputLimitExceeded(.zstd, limit: output.limit) }
                } else {
                    try output.write(upTo: min(chunk, room)) { target in
                        var produced = 0
                        hint = sluice_zstd_decompress_stream(
                            context, source.baseAddress, source.count, &position, target.baseAddress, target.count,
                            &produced)
                        return hint < 0 ? 0 : produced
                    }
                }
                if hint < 0 { throw CompressionError.corrupt(.zstd, "invalid zstd data") }
                let filledRoom = room > 0 && output.count - before.output == min(chunk, room)
                if filledRoom { continue }  // more output may be waiting
                if position == source.count {
                    // All input read and the output not full: done if the last frame ended.
                    if hint == 0 { return }
                    throw CompressionError.corrupt(.zstd, "input truncated inside a frame")
                }
                if position == before.input && output.count == before.output {
                    throw CompressionError.corrupt(.zstd, "decoder made no progress")
                }
            }
        }
        return output.buffer
    }
}
