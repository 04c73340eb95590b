import NIOCore

extension CompressionCodec {
    /// The largest output a decompression may produce by default: a batch inflating past this
    /// is treated as hostile rather than allocated.
    public static let defaultMaxDecompressedSize = 256 * 1024 * 1024

    /// Compresses `input` in this codec's Kafka framing.
    public func compress(_ input: ByteBuffer) throws -> ByteBuffer {
        switch self {
        case .none: return input
        default: throw CompressionError(self, "codec not available")
        }
    }

    /// Decompresses `input`, failing if the output would exceed `maxSize` bytes.
    public func decompress(_ input: ByteBuffer, maxSize: Int = CompressionCodec.defaultMaxDecompressedSize) throws -> ByteBuffer {
        switch self {
        case .none: return input
        default: throw CompressionError(self, "codec not available")
        }
    }
}
