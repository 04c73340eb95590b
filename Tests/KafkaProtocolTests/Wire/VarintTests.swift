import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("Varints")
struct VarintTests {
    private func written(_ body: (inout WireWriter) -> Void) -> [UInt8] {
        var writer = WireWriter()
        body(&writer)
        return writer.buffer.bytes
    }

    private func reader(_ bytes: [UInt8]) -> WireReader { WireReader(ByteBuffer(bytes: bytes)) }

    static let unsignedCases: [(UInt32, [UInt8])] = [
        (UInt32(0), [0x00]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (16383, [0xFF, 0x7F]),
        (16384, [0x80, 0x80, 0x01]),
        (UInt32(Int32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x07]),
        (UInt32.max, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test("unsigned varints at the byte boundaries", arguments: unsignedCases)
    func unsigned(value: UInt32, bytes: [UInt8]) throws {
        #expect(written { $0.writeUnsignedVarint(value) } == bytes)
        var r = reader(bytes)
        #expect(try r.readUnsignedVarint() == value)
        #expect(r.remaining == 0)
    }

    static let signedCases: [(Int32, [UInt8])] = [
        (Int32(0), [0x00]),
        (-1, [0x01]),
        (1, [0x02]),
        (-64, [0x7F]),
        (64, [0x80, 0x01]),
        (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test("zigzag varints, negative values included", arguments: signedCases)
    func signed(value: Int32, bytes: [UInt8]) throws {
        #expect(written { $0.writeVarint(value) } == bytes)
        var r = reader(bytes)
        #expect(try r.readVarint() == value)
    }

    static let longCases: [(Int64, [UInt8])] = [
        (Int64(0), [0x00]),
        (-1, [0x01]),
        (Int64(Int32.max) + 1, [0x80, 0x80, 0x80, 0x80, 0x10]),
        (Int64.max, [0xFE] + [UInt8](repeating: 0xFF, count: 8) + [0x01]),
        (Int64.min, [UInt8](repeating: 0xFF, count: 9) + [0x01]),
    ]

    @Test("zigzag varlongs up to Int64.min and Int64.max", arguments: longCases)
    func signedLong(value: Int64, bytes: [UInt8]) throws {
        #expect(written { $0.writeVarlong(value) } == bytes)
        var r = reader(bytes)
        #expect(try r.readVarlong() == value)
    }

    @Test("over-long varints are rejected, truncated ones too")
    func overflow() {
        let rejected: [[UInt8]] = [
            [0xFF, 0xFF, 0xFF, 0xFF, 0x1F],  // a 33rd bit
            [0xFF, 0xFF, 0xFF, 0xFF, 0x8F, 0x01],  // a sixth byte
            [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],  // ten bytes
        ]
        for bytes in rejected {
            var r = reader(bytes)
            #expect(throws: WireError.varintTooLong) { _ = try r.readUnsignedVarint() }
        }
        var long = reader([UInt8](repeating: 0xFF, count: 9) + [0x02])  // a 65th bit
        #expect(throws: WireError.varintTooLong) { _ = try long.readUnsignedVarlong() }
        var longer = reader([UInt8](repeating: 0x80, count: 10) + [0x00])  // eleven bytes
        #expect(throws: WireError.varintTooLong) { _ = try longer.readUnsignedVarlong() }
        for bytes in [[], [0x80], [0xFF, 0xFF]] as [[UInt8]] {
            var r = reader(bytes)
            #expect(throws: WireError.self) { _ = try r.readVarint() }
        }
    }

    @Test("random values round trip")
    func random() throws {
        let seed = TestSeed.make()
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<2000 {
            let v32 = Int32(truncatingIfNeeded: rng.next() >> UInt64.random(in: 0...63, using: &rng))
            let v64 = Int64(bitPattern: rng.next() >> UInt64.random(in: 0...63, using: &rng))
            var w = WireWriter()
            w.writeVarint(v32)
            w.writeVarlong(v64)
            w.writeVarlong(-v64 / 2)
            var r = WireReader(w.buffer)
            #expect(try r.readVarint() == v32, "seed \(seed)")
            #expect(try r.readVarlong() == v64, "seed \(seed)")
            #expect(try r.readVarlong() == -v64 / 2, "seed \(seed)")
        }
    }
}
