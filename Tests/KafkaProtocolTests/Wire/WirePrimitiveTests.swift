import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("Strings, bytes and arrays")
struct WirePrimitiveTests {
    private func written(_ body: (inout WireWriter) -> Void) -> [UInt8] {
        var writer = WireWriter()
        body(&writer)
        return writer.buffer.bytes
    }

    private func reader(_ bytes: [UInt8]) -> WireReader { WireReader(ByteBuffer(bytes: bytes)) }

    @Test("classic and compact strings, null and empty")
    func strings() throws {
        #expect(written { $0.writeString("abc", compact: false) } == [0x00, 0x03, 0x61, 0x62, 0x63])
        #expect(written { $0.writeString("abc", compact: true) } == [0x04, 0x61, 0x62, 0x63])
        #expect(written { $0.writeNullableString(nil, compact: false) } == [0xFF, 0xFF])
        #expect(written { $0.writeNullableString(nil, compact: true) } == [0x00])
        #expect(written { $0.writeString("", compact: true) } == [0x01])
        #expect(written { $0.writeString("é", compact: true) } == [0x03, 0xC3, 0xA9], "lengths count UTF-8 bytes")

        var r = reader([0x00, 0x03, 0x61, 0x62, 0x63, 0xFF, 0xFF, 0x04, 0x78, 0x79, 0x7A, 0x00, 0x01])
        #expect(try r.readString(compact: false) == "abc")
        #expect(try r.readNullableString(compact: false) == nil)
        #expect(try r.readString(compact: true) == "xyz")
        #expect(try r.readNullableString(compact: true) == nil)
        #expect(try r.readString(compact: true) == "")
        #expect(r.remaining == 0)
    }

    @Test("a classic string past 32767 bytes is cut between characters; a compact one is not")
    func longStrings() throws {
        // 16383 two-byte characters fill 32766 bytes; the next one would straddle the limit.
        let long = String(repeating: "é", count: 20_000)
        var r = reader(written { $0.writeString(long, compact: false) })
        let classic = try r.readString(compact: false)
        #expect(classic.utf8.count == 32_766)
        #expect(classic == String(repeating: "é", count: 16_383))
        #expect(r.remaining == 0)
        let ascii = String(repeating: "a", count: 40_000)
        r = reader(written { $0.writeNullableString(ascii, compact: false) })
        #expect(try r.readString(compact: false).utf8.count == 32_767)
        #expect(r.remaining == 0)
        r = reader(written { $0.writeString(ascii, compact: true) })
        #expect(try r.readString(compact: true) == ascii)
    }

    @Test("bad string lengths throw")
    func badStrings() {
        var null = reader([0xFF, 0xFF])
        #expect(throws: WireError.unexpectedNull("ClientId")) { _ = try null.readString(compact: false, field: "ClientId") }
        var negative = reader([0xFF, 0xFE])
        #expect(throws: WireError.negativeLength(-2)) { _ = try negative.readNullableString(compact: false) }
        var long = reader([0x00, 0x05, 0x61])
        #expect(throws: WireError.lengthExceedsInput(5, available: 1)) { _ = try long.readString(compact: false) }
        var compactLong = reader([0x7F, 0x61])
        #expect(throws: WireError.self) { _ = try compactLong.readString(compact: true) }
    }

    @Test("bytes use a 32-bit length, compact bytes a varint; slices share the input")
    func bytes() throws {
        let payload = ByteBuffer(bytes: [1, 2, 3])
        #expect(written { $0.writeBytes(payload, compact: false) } == [0, 0, 0, 3, 1, 2, 3])
        #expect(written { $0.writeBytes(payload, compact: true) } == [4, 1, 2, 3])
        #expect(written { $0.writeNullableBytes(nil, compact: false) } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(written { $0.writeNullableBytes(nil, compact: true) } == [0])

        var r = reader([0, 0, 0, 3, 1, 2, 3, 0xFF, 0xFF, 0xFF, 0xFF, 4, 7, 8, 9, 0])
        #expect(try r.readBytes(compact: false).bytes == [1, 2, 3])
        #expect(try r.readNullableBytes(compact: false) == nil)
        #expect(try r.readBytes(compact: true).bytes == [7, 8, 9])
        #expect(try r.readNullableBytes(compact: true) == nil)

        var huge = reader([0x7F, 0xFF, 0xFF, 0xFF, 1])
        #expect(throws: WireError.lengthExceedsInput(Int(Int32.max), available: 1)) { _ = try huge.readBytes(compact: false) }
        var negative = reader([0xFF, 0xFF, 0xFF, 0xF0])
        #expect(throws: WireError.self) { _ = try negative.readNullableBytes(compact: false) }
    }

    @Test("arrays: classic, compact, null, and counts larger than the input")
    func arrays() throws {
        let ints: [Int32] = [1, 2]
        #expect(written { $0.writeArray(ints, compact: false) { $0.writeInt32($1) } } == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(written { $0.writeArray(ints, compact: true) { $0.writeInt32($1) } } == [3, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(written { $0.writeNullableArray(nil as [Int32]?, compact: false) { $0.writeInt32($1) } } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(written { $0.writeNullableArray(nil as [Int32]?, compact: true) { $0.writeInt32($1) } } == [0])

        var r = reader([3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try r.readArray(compact: true) { try $0.readInt32() } == [1, 2])
        #expect(try r.readNullableArray(compact: true) { try $0.readInt32() } == nil)
        #expect(try r.readNullableArray(compact: false) { try $0.readInt32() } == nil)

        // Two billion elements promised by a 5-byte input: refused before anything is reserved.
        var hostile = reader([0x7F, 0xFF, 0xFF, 0xFF, 0])
        #expect(throws: WireError.lengthExceedsInput(Int(Int32.max), available: 1)) {
            _ = try hostile.readArray(compact: false) { try $0.readInt8() }
        }
        var null = reader([0])
        #expect(throws: WireError.unexpectedNull("Topics")) { _ = try null.readArray(compact: true, field: "Topics") { try $0.readInt8() } }
        var short = reader([0, 0, 0, 2, 0, 0, 0, 1])
        #expect(throws: WireError.self) { _ = try short.readArray(compact: false) { try $0.readInt32() } }
    }

    @Test("nullable structs: -1 is null, 1 precedes the struct")
    func nullableStruct() throws {
        #expect(written { $0.writeNullableStruct(nil as Int32?) { $0.writeInt32($1) } } == [0xFF])
        #expect(written { $0.writeNullableStruct(Int32(5)) { $0.writeInt32($1) } } == [0x01, 0, 0, 0, 5])
        var r = reader([0xFF, 0x01, 0, 0, 0, 5])
        #expect(try r.readNullableStruct { try $0.readInt32() } == nil)
        #expect(try r.readNullableStruct { try $0.readInt32() } == 5)
    }

    @Test("fixed-width values are big-endian; booleans accept any non-zero byte")
    func fixed() throws {
        #expect(written { $0.writeInt16(0x0102); $0.writeInt32(-2); $0.writeInt64(1) } == [1, 2, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(written { $0.writeFloat64(1.5) } == [0x3F, 0xF8, 0, 0, 0, 0, 0, 0])
        var r = reader([0x00, 0x01, 0x7F])
        #expect(try r.readBool() == false)
        #expect(try r.readBool() == true)
        #expect(try r.readBool() == true)
        #expect(throws: WireError.truncated(needed: 1, available: 0)) { _ = try r.readBool() }
    }
}
