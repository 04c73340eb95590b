import CCRC32C
import NIOCore

/// CRC-32C (Castagnoli), the checksum of record batches v2.
///
/// Uses the SSE4.2 `crc32` instruction when the CPU has it and a slicing-by-8 table otherwise.
public enum CRC32C {
    /// The checksum of `bytes`, optionally continuing from a previous `crc`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return sluice_crc32c_update(crc, base, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// The checksum of the readable bytes of `buffer`.
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc) }
    }

    /// The table-driven implementation, for tests and benchmarks.
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return sluice_crc32c_update_portable(crc, base, bytes.count)
    }

    /// True when the hardware instruction is in use.
    public static var usesHardware: Bool { sluice_crc32c_uses_hardware() != 0 }
}
