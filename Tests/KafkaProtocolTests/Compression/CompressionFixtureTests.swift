import NIOCore
import Testing

@testable import KafkaProtocol

/// Decodes data compressed by independent tools (the lz4, zstd and gzip command line tools,
/// cramjam and kafka-python for snappy); see Fixtures/compression/make_compression_fixtures.py.
@Suite("Compression fixtures from independent tools")
struct CompressionFixtureTests {
    static let words = ["kafka", "sluice", "record", "batch", "offset", "leader", "epoch"]

    /// The fixture script's `noise(count)`: a 31-bit LCG's byte 2.
    static func noise(_ count: Int) -> [UInt8] {
        var x: UInt32 = 12345
        return (0..<count).map { _ in
            x = (x &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF
            return UInt8(truncatingIfNeeded: x >> 16)
        }
    }

    /// The fixture script's `plain()`.
    static let plain: [UInt8] = {
        let text = (0..<3500).flatMap { i in Array("sluice fixture line \(i % 97): \(words[i % 7])\n".utf8) }
        return Array(text[..<50000]) + noise(2000) + Array(text[50000...])
    }()

    /// The fixture script's `big()`.
    static let big: [UInt8] = Array([[UInt8]](repeating: Array(plain[..<30000]), count: 42).joined())

    /// The fixture script's `noisy()`.
    static let noisy: [UInt8] = noise(65536) + Array(plain[..<4000])

    static let fixtures: [(file: String, codec: CompressionCodec)] = [
        ("lz4-cli-default.lz4", .lz4),
        ("lz4-cli-64k-linked-nocrc.lz4", .lz4),
        ("lz4-cli-64k-blockcrc-size.lz4", .lz4),
        ("lz4-cli-two-frames-skippable.lz4", .lz4),
        ("zstd-cli-default.zst", .zstd),
        ("zstd-cli-19-nocheck.zst", .zstd),
        ("zstd-cli-two-frames.zst", .zstd),
        ("gzip-cli-with-name.gz", .gzip),
        ("gzip-cli-9-noname.gz", .gzip),
        ("gzip-cli-two-members.gz", .gzip),
        ("snappy-raw-cramjam.snappy", .snappy),
        ("snappy-xerial-kafka-python.snappy", .snappy),
    ]

    @Test("every fixture decodes to the script's content", arguments: fixtures)
    func decodes(file: String, codec: CompressionCodec) throws {
        let compressed = try Fixtures.buffer("compression/\(file)")
        let plain = try codec.decompress(compressed, maxSize: Self.plain.count)
        #expect(plain.bytes == Self.plain)
        #expect(throws: CompressionError.self, "one byte under the size is refused") {
            _ = try codec.decompress(compressed, maxSize: Self.plain.count - 1)
        }
    }

    @Test("LZ4 frames with 1 MB linked blocks and with a 4 MB block")
    func lz4LargeBlocks() throws {
        for file in ["lz4-cli-1m-linked-blockcrc-size.lz4", "lz4-cli-4m.lz4"] {
            let compressed = try Fixtures.buffer("compression/\(file)")
            #expect(try CompressionCodec.lz4.decompress(compressed).bytes == Self.big, "\(file)")
            #expect(throws: CompressionError.self) {
                _ = try CompressionCodec.lz4.decompress(compressed, maxSize: Self.big.count - 1)
            }
        }
    }

    @Test("an LZ4 frame whose first block did not shrink holds it uncompressed, with a block checksum")
    func lz4StoredBlock() throws {
        let compressed = try Fixtures.data("compression/lz4-cli-64k-stored-block.lz4")
        // Header: magic, FLG (version 1, independent, block checksum, content checksum), BD 64 KB, HC.
        #expect(compressed[4] == 0x74 && compressed[5] == 0x40)
        let firstBlockSize = UInt32(compressed[7]) | UInt32(compressed[8]) << 8 | UInt32(compressed[9]) << 16
            | UInt32(compressed[10]) << 24
        #expect(firstBlockSize == 0x8001_0000, "high bit: stored; 65536 bytes")
        #expect(try CompressionCodec.lz4.decompress(ByteBuffer(bytes: compressed)).bytes == Self.noisy)
    }

    @Test("the LZ4 fixtures cover the frame descriptor flags they claim")
    func lz4Flags() throws {
        func descriptor(_ file: String) throws -> (UInt8, UInt8) {
            let bytes = try Fixtures.data("compression/\(file)")
            return (bytes[4], bytes[5])
        }
        #expect(try descriptor("lz4-cli-default.lz4") == (0x64, 0x50))  // independent, content checksum, 256 KB
        #expect(try descriptor("lz4-cli-64k-linked-nocrc.lz4") == (0x40, 0x40))  // linked, no checksum, 64 KB
        #expect(try descriptor("lz4-cli-64k-blockcrc-size.lz4") == (0x7C, 0x40))  // block crc, content size
        #expect(try descriptor("lz4-cli-1m-linked-blockcrc-size.lz4") == (0x5C, 0x60))  // linked, 1 MB
        #expect(try descriptor("lz4-cli-4m.lz4") == (0x60, 0x70))  // 4 MB
        #expect(try descriptor("lz4-cli-64k-stored-block.lz4") == (0x74, 0x40))
    }
}
