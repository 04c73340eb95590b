import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("Corrupted and truncated compressed data")
struct CompressionCorruptionTests {
    static let fixtures = CompressionFixtureTests.fixtures

    @Test("truncated input throws", arguments: fixtures)
    func truncated(file: String, codec: CompressionCodec) throws {
        let bytes = try Fixtures.data("compression/\(file)")
        // Cut points inside the data: none of them falls on a frame, member or chunk boundary.
        for cut in [0, 1, 7, bytes.count / 3, bytes.count - 1] {
            #expect(throws: CompressionError.self, "\(file) cut at \(cut)") {
                _ = try codec.decompress(ByteBuffer(bytes: bytes[..<cut]))
            }
        }
    }

    @Test("a flipped bit under a checksum is caught, or harmless", arguments: [
        ("lz4-cli-default.lz4", CompressionCodec.lz4),  // content checksum
        ("lz4-cli-64k-blockcrc-size.lz4", .lz4),  // block checksums
        ("zstd-cli-default.zst", .zstd),  // frame checksum
        ("gzip-cli-9-noname.gz", .gzip),  // CRC-32 trailer
    ])
    func checksummed(file: String, codec: CompressionCodec) throws {
        let bytes = try Fixtures.data("compression/\(file)")
        let seed = TestSeed.make()
        var rng = SeededGenerator(seed: seed)
        var caught = 0
        let flips = 60
        for _ in 0..<flips {
            var corrupt = bytes
            let index = Int.random(in: 0..<bytes.count, using: &rng)
            corrupt[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            // A flip may be harmless (gzip's mtime, deflate's padding bits, an LZ77 offset that
            // points at equal bytes); what the checksum guarantees is that no wrong output is
            // accepted.
            do {
                let output = try codec.decompress(ByteBuffer(bytes: corrupt))
                #expect(output.bytes == CompressionFixtureTests.plain, "\(file) flip at \(index) gave wrong data, seed \(seed)")
            } catch is CompressionError {
                caught += 1
            }
        }
        #expect(caught > flips * 3 / 4, "\(file): only \(caught) of \(flips) flips detected, seed \(seed)")
    }

    @Test("random mutations never trap", arguments: CompressionCodec.allCases)
    func mutations(codec: CompressionCodec) throws {
        let seed = TestSeed.make()
        var rng = SeededGenerator(seed: seed)
        var samples: [[UInt8]] = try Self.fixtures.filter { $0.codec == codec }.map { try Fixtures.data("compression/\($0.file)") }
        samples.append(try codec.compress(ByteBuffer(bytes: rng.compressibleBytes(3000))).bytes)
        for round in 0..<600 {
            var bytes = samples[round % samples.count]
            switch round % 4 {
            case 0: for _ in 0..<Int.random(in: 1...8, using: &rng) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            case 1: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 2: bytes = rng.bytes(Int.random(in: 0...200, using: &rng))
            default:
                // Splice: the head of one sample with the tail of another.
                let other = samples[Int.random(in: 0..<samples.count, using: &rng)]
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                    + other.suffix(Int.random(in: 0...other.count, using: &rng))
            }
            do {
                let out = try codec.decompress(ByteBuffer(bytes: bytes), maxSize: 4 << 20)
                #expect(out.readableBytes <= 4 << 20)
            } catch is CompressionError {
                // The expected outcome for most mutations.
            } catch {
                Issue.record("\(codec) round \(round), seed \(seed): unexpected error \(error)")
            }
        }
    }

    @Test("hand-made hostile inputs")
    func hostile() throws {
        func rejects(_ codec: CompressionCodec, _ bytes: [UInt8], _ why: Comment) {
            #expect(throws: CompressionError.self, why) { _ = try codec.decompress(ByteBuffer(bytes: bytes), maxSize: 1 << 20) }
        }
        // Snappy: a block that claims 4 GB; a copy reaching before the start; a length it does not fill.
        rejects(.snappy, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x41], "claims 4 GiB")
        rejects(.snappy, [0x08, 0x00, 0x41, 0x0D, 0x05], "copy distance 5 with 1 byte of output")
        rejects(.snappy, [0x05, 0x00, 0x41], "declares 5 bytes, holds 1")
        rejects(.snappy, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "6-byte length varint")
        rejects(.snappy, SnappyCodec.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF], "negative xerial chunk")
        // Snappy: a header-only xerial stream is empty, as snappy-java reads it.
        #expect(try CompressionCodec.snappy.decompress(ByteBuffer(bytes: SnappyCodec.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1])).readableBytes == 0)

        // LZ4: bad header checksum, reserved bits, a block larger than the maximum, a huge content size.
        let header: [UInt8] = [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40]
        let checksum = UInt8(truncatingIfNeeded: XXHash32.hash([0x60, 0x40]) >> 8)
        rejects(.lz4, header + [checksum ^ 1, 0, 0, 0, 0], "header checksum")
        rejects(.lz4, [0x04, 0x22, 0x4D, 0x18, 0x62, 0x40, UInt8(truncatingIfNeeded: XXHash32.hash([0x62, 0x40]) >> 8), 0, 0, 0, 0], "reserved bit")
        rejects(.lz4, header + [checksum, 0x01, 0x00, 0x01, 0x00] + [UInt8](repeating: 0, count: 70000), "65537-byte block in a 64 KB frame")
        let sized: [UInt8] = [0x68, 0x40] + [0, 0, 0, 0, 1, 0, 0, 0]  // content size 2^32
        rejects(.lz4, [0x04, 0x22, 0x4D, 0x18] + sized + [UInt8(truncatingIfNeeded: XXHash32.hash(sized) >> 8), 0, 0, 0, 0], "content size past the limit")
        #expect(try CompressionCodec.lz4.decompress(ByteBuffer(bytes: header + [checksum, 0, 0, 0, 0])).readableBytes == 0, "an empty frame")
        // LZ4 block: a match before the start, and a match length running past the block maximum.
        rejects(.lz4, header + [checksum, 4, 0, 0, 0, 0x10, 0x41, 0x02, 0x00, 0, 0, 0, 0], "distance 2 after 1 byte")
        let longMatch: [UInt8] = [0x1F, 0x41, 0x01, 0x00] + [UInt8](repeating: 255, count: 300) + [0]
        rejects(.lz4, header + [checksum, 0x31, 0x01, 0, 0] + longMatch + [0, 0, 0, 0], "match of 76 KB in a 64 KB block")

        // LZ4: the linked-block fixture relabelled as independent. Its second block reaches back
        // into the first, which an independent block may not do.
        var relabelled = try Fixtures.data("compression/lz4-cli-64k-linked-nocrc.lz4")
        relabelled[4] |= 0x20
        relabelled[6] = UInt8(truncatingIfNeeded: XXHash32.hash([relabelled[4], relabelled[5]]) >> 8)
        rejects(.lz4, relabelled, "independent blocks may not reach into the previous block")

        // gzip and zstd: garbage and trailing garbage.
        rejects(.gzip, [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF], "bad deflate data")
        let gzip = try CompressionCodec.gzip.compress(ByteBuffer(string: "hello")).bytes
        rejects(.gzip, gzip + [1, 2, 3], "garbage after the member")
        rejects(.zstd, [0x28, 0xB5, 0x2F, 0xFD, 0xFF, 0xFF, 0xFF], "bad zstd frame header")
        let zstd = try CompressionCodec.zstd.compress(ByteBuffer(string: "hello")).bytes
        rejects(.zstd, zstd + [1, 2, 3, 4, 5], "garbage after the frame")
    }
}
