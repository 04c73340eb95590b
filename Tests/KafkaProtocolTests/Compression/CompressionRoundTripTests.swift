import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("Compression round trips")
struct CompressionRoundTripTests {
    static let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]
    static let sizes = [0, 1, 64 * 1024 + 1, 4 * 1024 * 1024]

    @Test("random and compressible data survive compress then decompress", arguments: codecs)
    func roundTrip(codec: CompressionCodec) throws {
        let seed = TestSeed.make()
        var rng = SeededGenerator(seed: seed)
        for size in Self.sizes {
            for (kind, data) in [("random", rng.bytes(size)), ("compressible", rng.compressibleBytes(size))] {
                let compressed = try codec.compress(ByteBuffer(bytes: data))
                let restored = try codec.decompress(compressed, maxSize: max(size, 1))
                #expect(restored.bytes == data, "\(codec) \(kind) \(size) bytes, seed \(seed)")
                if kind == "compressible" && size > 1024 {
                    #expect(compressed.readableBytes < size / 2, "\(codec) should shrink text, got \(compressed.readableBytes)")
                }
            }
        }
    }

    @Test("decompression refuses output past maxSize", arguments: codecs)
    func bomb(codec: CompressionCodec) throws {
        // 1 MiB of zeros compresses to a few KB; allowing one byte less than its size must fail.
        let zeros = ByteBuffer(repeating: 0, count: 1 << 20)
        let compressed = try codec.compress(zeros)
        #expect(compressed.readableBytes < 64 * 1024)
        let error = #expect(throws: CompressionError.self) {
            _ = try codec.decompress(compressed, maxSize: (1 << 20) - 1)
        }
        #expect(error?.kind == .outputLimitExceeded)
        #expect(try codec.decompress(compressed, maxSize: 1 << 20).readableBytes == 1 << 20)
    }

    @Test("uncompressed input over maxSize is refused too")
    func noneBound() throws {
        let data = ByteBuffer(repeating: 7, count: 100)
        #expect(try CompressionCodec.none.decompress(data, maxSize: 100) == data)
        #expect(throws: CompressionError.self) { _ = try CompressionCodec.none.decompress(data, maxSize: 99) }
    }

    @Test("encoders write the framing every Kafka client reads")
    func framing() throws {
        let text = ByteBuffer(string: String(repeating: "sluice ", count: 10_000))
        let snappy = try CompressionCodec.snappy.compress(text).bytes
        #expect(Array(snappy.prefix(16)) == SnappyCodec.xerialMagic + [0, 0, 0, 1, 0, 0, 0, 1])
        // Empty input: the one-byte raw block, not a header-only xerial stream.
        #expect(try CompressionCodec.snappy.compress(ByteBuffer()).bytes == [0])

        let lz4 = try CompressionCodec.lz4.compress(text).bytes
        #expect(Array(lz4.prefix(4)) == [0x04, 0x22, 0x4D, 0x18])
        #expect(lz4[4] == 0x60, "version 1 with independent blocks, as Java's reader requires")
        #expect(lz4[5] == 0x40, "64 KB blocks")
        #expect(Array(lz4.suffix(4)) == [0, 0, 0, 0], "end mark, no content checksum")

        let gzip = try CompressionCodec.gzip.compress(text).bytes
        #expect(Array(gzip.prefix(3)) == [0x1F, 0x8B, 0x08])

        let zstd = try CompressionCodec.zstd.compress(text).bytes
        #expect(Array(zstd.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
    }

    @Test("zstd is loaded from the system here; without it the error says what is missing")
    func zstdLibrary() throws {
        #expect(CompressionCodec.zstd.isAvailable, "libzstd.so.1 is part of every Debian system")
        let error = #expect(throws: CompressionError.self) { try ZstdCodec.requireLibrary(loaded: false) }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.contains("libzstd.so.1") == true)
        #expect(RecordBatchError.decompressionFailed(try #require(error)).errorCode == .unsupportedCompressionType)
    }

    @Test("xxHash32 matches the reference vectors")
    func xxHash32() {
        #expect(XXHash32.hash([]) == 0x02CC_5D05)
        #expect(XXHash32.hash(Array("a".utf8)) == 0x550D_7456)
        #expect(XXHash32.hash(Array("abc".utf8)) == 0x32D1_53FF)
        #expect(XXHash32.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xE229_3B2F)
    }
}
