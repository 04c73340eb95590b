import NIOCore
import SluiceBase
import Testing

@testable import KafkaProtocol

@Suite("CRC-32C")
struct CRC32CTests {
    static let vectors: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),  // the catalogue check value
        ([], 0),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),  // RFC 3720, B.4
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
    ]

    @Test("known vectors, on both implementations", arguments: vectors)
    func known(bytes: [UInt8], crc: UInt32) {
        #expect(CRC32C.checksum(bytes) == crc)
        #expect(bytes.withUnsafeBytes { CRC32C.portableChecksum($0) } == crc)
    }

    @Test("hardware and table agree on random lengths and alignments, and chain")
    func agree() {
        let seed = TestSeed.make()
        var rng = SeededGenerator(seed: seed)
        let data = rng.bytes(70_000)
        data.withUnsafeBytes { all in
            for _ in 0..<400 {
                let start = Int.random(in: 0..<64, using: &rng)
                let length = Int.random(in: 0...(Bool.random(using: &rng) ? 100 : 60_000), using: &rng)
                let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                let fast = CRC32C.checksum(slice)
                #expect(fast == CRC32C.portableChecksum(slice), "start \(start) length \(length), seed \(seed)")
                let cut = length / 3
                let head = UnsafeRawBufferPointer(rebasing: slice[..<cut])
                let tail = UnsafeRawBufferPointer(rebasing: slice[cut...])
                #expect(CRC32C.checksum(tail, continuing: CRC32C.checksum(head)) == fast, "seed \(seed)")
                #expect(CRC32C.portableChecksum(tail, continuing: CRC32C.portableChecksum(head)) == fast)
            }
        }
    }

    @Test("the CRCs kafka-python and aiokafka stored in their batches")
    func pythonBatches() throws {
        let files = try Fixtures.names(in: "batches", suffix: ".batch")
        #expect(files.count >= 11)
        for file in files {
            let bytes = try Fixtures.data("batches/\(file)")
            let stored = bytes[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let covered = Array(bytes[21...])
            #expect(CRC32C.checksum(covered) == stored, "\(file)")
            #expect(covered.withUnsafeBytes { CRC32C.portableChecksum($0) } == stored, "\(file)")
        }
    }

    @Test("a ByteBuffer's readable bytes are what is checksummed")
    func buffer() {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB] + Array("123456789".utf8))
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(CRC32C.checksum(buffer) == 0xE306_9283)
    }
}
