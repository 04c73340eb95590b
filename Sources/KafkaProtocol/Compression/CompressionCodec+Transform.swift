import NIOCore

extension CompressionCodec {
    /// The largest output a decompression may produce by default: a batch inflating past this
    /// is treated as hostile rather than allocated.
    public static let defaultMaxDecompressedSize = 256 * 1024 * 1024

    /// Compresses `input` in this codec's Kafka framing: a gzip stream, xerial-framed snappy,
    /// an LZ4 frame, or a zstd frame (see each codec's type for the exact choices).
    ///
    /// ```swift
    /// let compressed = try CompressionCodec.lz4.compress(records)
    /// ```
    public func compress(_ input: ByteBuffer) throws -> ByteBuffer {
        switch self {
        case .none: return input
        case .gzip: return try GzipCodec.compress(input)
        case .snappy: return SnappyCodec.compress(input)
        case .lz4: return LZ4Frame.compress(input)
        case .zstd: return try ZstdCodec.compress(input)
        }
    }

    /// Decompresses `input`, throwing ``CompressionError`` on malformed data and when the output
    /// would exceed `maxSize` bytes (``CompressionError/Kind/outputLimitExceeded``). Buffers grow
    /// only with real output, so a small hostile input cannot make this allocate much.
    public func decompress(_ input: ByteBuffer, maxSize: Int = CompressionCodec.defaultMaxDecompressedSize) throws -> ByteBuffer {
        switch self {
        case .none:
            guard input.readableBytes <= maxSize else { throw CompressionError.outputLimitExceeded(self, limit: maxSize) }
            return input
        case .gzip: return try GzipCodec.decompress(input, maxSize: maxSize)
        case .snappy: return try SnappyCodec.decompress(input, maxSize: maxSize)
        case .lz4: return try LZ4Frame.decompress(input, maxSize: maxSize)
        case .zstd: return try ZstdCodec.decompress(input, maxSize: maxSize)
        }
    }

    /// Whether this codec works in this process (zstd needs libzstd.so.1 at run time).
    public var isAvailable: Bool {
        self == .zstd ? ZstdCodec.isAvailable : true
    }
}
