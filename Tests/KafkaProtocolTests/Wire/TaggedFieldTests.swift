import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("Tagged fields")
struct TaggedFieldTests {
    /// ApiVersions response v3 (flexible): error 0, one API key, throttle 0, then `tags`.
    private func response(tags: [UInt8]) -> [UInt8] {
        [0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00] + tags
    }

    @Test("unknown tags are kept and written back in tag order among the known ones")
    func unknownPreserved() throws {
        let tags: [UInt8] = [
            0x03,
            0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x07,  // tag 1 (FinalizedFeaturesEpoch) = 7
            0x07, 0x02, 0xAB, 0xCD,  // tag 7: unknown to this version of Sluice
            0x64, 0x00,  // tag 100: unknown, empty
        ]
        let bytes = response(tags: tags)
        var reader = WireReader(ByteBuffer(bytes: bytes))
        let decoded = try ApiVersionsResponse(from: &reader, version: 3)
        #expect(reader.remaining == 0)
        #expect(decoded.finalizedFeaturesEpoch == 7)
        #expect(decoded.apiKeys == [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        #expect(decoded.unknownTaggedFields.map(\.tag) == [7, 100])
        #expect(decoded.unknownTaggedFields.first?.data.bytes == [0xAB, 0xCD])

        var writer = WireWriter()
        decoded.encode(to: &writer, version: 3)
        #expect(writer.buffer.bytes == bytes)

        // A known field changed by the program goes back in order with the unknown ones.
        var changed = decoded
        changed.zkMigrationReady = true  // tag 3
        var w2 = WireWriter()
        changed.encode(to: &w2, version: 3)
        let expected = response(tags: [0x04] + tags[1..<11] + [0x03, 0x01, 0x01] + tags[11...])
        #expect(w2.buffer.bytes == expected)
    }

    @Test("tags out of order or repeated are rejected")
    func order() {
        for tags: [UInt8] in [
            [0x02, 0x03, 0x01, 0x01, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x07],  // 3 then 1
            [0x02, 0x07, 0x00, 0x07, 0x00],  // 7 twice
        ] {
            var reader = WireReader(ByteBuffer(bytes: response(tags: tags)))
            #expect(throws: WireError.self) { _ = try ApiVersionsResponse(from: &reader, version: 3) }
        }
    }

    @Test("a known tag whose size disagrees with its value is rejected")
    func sizeMismatch() {
        let tooLong: [UInt8] = [0x01, 0x03, 0x02, 0x01, 0x00]  // tag 3 (a bool) with 2 bytes
        var reader = WireReader(ByteBuffer(bytes: response(tags: tooLong)))
        #expect(throws: WireError.self) { _ = try ApiVersionsResponse(from: &reader, version: 3) }
        let tooShort: [UInt8] = [0x01, 0x01, 0x04, 0, 0, 0, 0]  // tag 1 (an int64) with 4 bytes
        var reader2 = WireReader(ByteBuffer(bytes: response(tags: tooShort)))
        #expect(throws: WireError.self) { _ = try ApiVersionsResponse(from: &reader2, version: 3) }
        let countTooLarge: [UInt8] = [0x7F]
        var reader3 = WireReader(ByteBuffer(bytes: response(tags: countTooLarge)))
        #expect(throws: WireError.self) { _ = try ApiVersionsResponse(from: &reader3, version: 3) }
    }

    @Test("fields equal to their defaults are not written")
    func defaultsOmitted() {
        var writer = WireWriter()
        ApiVersionsResponse(finalizedFeaturesEpoch: -1, zkMigrationReady: false).encode(to: &writer, version: 3)
        #expect(writer.buffer.bytes == [0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])
    }
}

@Suite("UUIDs")
struct KafkaUUIDTests {
    @Test("Kafka's base64 form: URL-safe, unpadded, 22 characters")
    func base64() {
        #expect(KafkaUUID.zero.base64 == "AAAAAAAAAAAAAAAAAAAAAA")
        // Kafka's METADATA_TOPIC_ID is Uuid(0, 1), printed as below.
        #expect(KafkaUUID(high: 0, low: 1).base64 == "AAAAAAAAAAAAAAAAAAAAAQ")
        let id = KafkaUUID(high: 0xFBFF_FEFF_0011_2233, low: 0x4455_6677_8899_AABB)
        #expect(id.base64 == "-__-_wARIjNEVWZ3iJmquw")
        #expect(KafkaUUID(base64: "-__-_wARIjNEVWZ3iJmquw") == id)
        #expect(KafkaUUID(base64: "AAAAAAAAAAAAAAAAAAAAAQ") == KafkaUUID(high: 0, low: 1))
    }

    @Test("random ids round trip and are version 4")
    func random() {
        var rng = SeededGenerator(seed: TestSeed.make())
        for _ in 0..<500 {
            let id = KafkaUUID.random(using: &rng)
            #expect(id.base64.count == 22)
            #expect(KafkaUUID(base64: id.base64) == id)
            #expect(id.high >> 12 & 0xF == 4)
            #expect(id.low >> 62 == 0b10)
        }
    }

    @Test("malformed text is refused")
    func invalid() {
        for text in ["", "AAAA", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA!A", "AAAAAAAAAAAAAAAAAAAAA\u{e9}"] {
            #expect(KafkaUUID(base64: text) == nil, "\(text)")
        }
    }

    @Test("UUIDs are 16 big-endian bytes on the wire")
    func wire() throws {
        var writer = WireWriter()
        writer.writeUUID(KafkaUUID(high: 1, low: 2))
        #expect(writer.buffer.bytes == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2])
        var reader = WireReader(writer.buffer)
        #expect(try reader.readUUID() == KafkaUUID(high: 1, low: 2))
    }
}
