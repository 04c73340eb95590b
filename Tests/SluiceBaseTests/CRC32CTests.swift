import SluiceBase
import Testing

@Suite struct CRC32CTests {
    /// RFC 3720's check value for "123456789".
    @Test func checkValueOverEveryEntryPoint() {
        let bytes = Array("123456789".utf8)
        #expect(CRC32C.checksum(bytes) == 0xE306_9283)
        #expect(CRC32C.checksum(bytes[...]) == 0xE306_9283)
        #expect(bytes.withUnsafeBytes { CRC32C.portableChecksum($0) } == 0xE306_9283)
        // A non-contiguous collection goes through a copy and gives the same value.
        #expect(CRC32C.checksum(bytes.lazy.map { $0 }) == 0xE306_9283)
    }

    @Test func slicesAndChainingAgreeWithTheWhole() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = CRC32C.checksum(bytes)
        for cut in [0, 1, 7, 8, 9, 1000, 4095, 4096] {
            #expect(CRC32C.checksum(bytes[cut...], continuing: CRC32C.checksum(bytes[..<cut])) == whole, "cut \(cut)")
        }
    }
}
