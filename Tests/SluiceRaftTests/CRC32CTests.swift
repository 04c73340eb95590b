import SluiceBase
import Testing
@testable import SluiceRaft

/// The store's checksum (SluiceBase's `CRC32C` through the generic entry point the store calls):
/// CRC-32C's check value, and the hardware and slicing-by-8 loops against the plain
/// byte-at-a-time definition for every length and alignment around their 8-byte steps.
@Suite struct CRC32CTests {
    static func reference(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    @Test func matchesTheDefinition() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283, "CRC-32C's check value")
        #expect(CRC32C.checksum([UInt8]()) == 0)
        var random = SplitMix64(seed: 42)
        let bytes = (0..<300).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = bytes[start..<end]
                #expect(CRC32C.checksum(slice) == Self.reference(slice), "bytes \(start)..<\(end)")
            }
        }
        #expect(CRC32C.checksum(bytes.lazy.map { $0 }) == Self.reference(bytes), "a collection without contiguous storage")
    }
}
