import NIOCore
import SluiceBase

extension CRC32C {
    /// The checksum of the readable bytes of `buffer`.
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc) }
    }
}
