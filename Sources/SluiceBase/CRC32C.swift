import CCRC32C

/// CRC-32C (Castagnoli): the checksum of Kafka record batches v2, and of every file Sluice
/// writes that must tell a torn or damaged write from data (producer snapshots, the Raft log
/// and its snapshots).
///
/// Uses the SSE4.2 `crc32` instruction when the CPU has it and a slicing-by-8 table otherwise.
/// Checksums chain: `checksum(b, continuing: checksum(a)) == checksum(a + b)`.
///
/// ```swift
/// CRC32C.checksum(Array("123456789".utf8))   // 0xE306_9283
/// ```
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

    /// The checksum of any byte collection (an `ArraySlice`, say); contiguous ones are not copied.
    public static func checksum<Bytes: Collection>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32
    where Bytes.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return crc
        }
        return checksum(Array(bytes), continuing: crc)
    }

    /// The table-driven implementation, for tests and benchmarks.
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return sluice_crc32c_update_portable(crc, base, bytes.count)
    }
}
