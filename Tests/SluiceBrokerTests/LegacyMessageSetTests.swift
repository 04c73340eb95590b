import KafkaProtocol
import NIOCore
import Testing
@testable import SluiceBroker

/// Produce v0-2 and Fetch v0-3 speak message formats 0 and 1; the log keeps magic-2 batches.
@Suite(.onTestThreads) struct LegacyMessageSetTests {
    /// A magic-1 message set: `count` messages, wrapped in one compressed message when `codec` is set.
    func messageSet(_ count: Int, codec: CompressionCodec) throws -> ByteBuffer {
        var inner = ByteBuffer()
        for i in 0..<count {
            LegacyMessageSet.write(offset: Int64(i), magic: 1, logAppendTime: false, timestamp: 1_000 + Int64(i),
                                   key: ByteBuffer(string: "k\(i)"), value: ByteBuffer(string: "value \(i)"), to: &inner)
        }
        if codec == .none { return inner }
        var wrapped = ByteBuffer()
        LegacyMessageSet.write(offset: Int64(count - 1), magic: 1, logAppendTime: false, timestamp: 1_000,
                               key: nil, value: try codec.compress(inner), to: &wrapped)
        // Set the codec bits of the wrapper's attributes (offset 8 + 4 + 4 + 1), then fix its CRC.
        wrapped.setInteger(Int8(codec.rawValue), at: 17)
        let crc = wrapped.withUnsafeReadableBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[16...])) }
        wrapped.setInteger(crc, at: 12)
        return wrapped
    }

    func messages(_ response: FetchResponse) throws -> [(offset: Int64, magic: Int8, key: String)] {
        guard case var .bytes(bytes)? = response.responses.first?.partitions.first?.records else { return [] }
        var result: [(Int64, Int8, String)] = []
        while bytes.readableBytes > 0 {
            let offset = bytes.readInteger(as: Int64.self)!
            let size = Int(bytes.readInteger(as: Int32.self)!)
            var message = bytes.readSlice(length: size)!
            let crc = message.readInteger(as: UInt32.self)!
            #expect(crc == message.withUnsafeReadableBytes { CRC32.checksum($0) })
            let magic = message.readInteger(as: Int8.self)!
            _ = message.readInteger(as: Int8.self)
            if magic == 1 { _ = message.readInteger(as: Int64.self) }
            let keyLength = Int(message.readInteger(as: Int32.self)!)
            result.append((offset, magic, message.readString(length: keyLength)!))
        }
        return result
    }

    @Test func oldProducesAreStoredAsBatchesAndFetchedAsOldMessages() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "old", numPartitions: 1, replicationFactor: 1)]), version: 0)
            for codec in [CompressionCodec.none, .gzip] {
                let request = ProduceRequest(acks: 1, timeoutMs: 1000, topicData: [
                    .init(name: "old", partitionData: [.init(index: 0, records: .bytes(try messageSet(3, codec: codec)))]),
                ])
                let response = try await connection.roundTrip(request, version: 2).responses[0].partitionResponses[0]
                #expect(response.errorCode == 0)
            }
            let stored = try #require(fixture.logs.log(for: .init("old", 0)))
            let read = try stored.read(from: 0, maxBytes: 1 << 20, maxOffset: 6, minOneBatch: true)
            let batches = Array(RecordBatchSequence(read.records.bytes!))
            #expect(batches.map(\.compression) == [CompressionCodec.none, .gzip])
            #expect(try batches[1].records().map(\.timestamp) == [1_000, 1_001, 1_002])

            let fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
                .init(topic: "old", partitions: [.init(partition: 0, fetchOffset: 1, partitionMaxBytes: 1 << 20)]),
            ])
            let v3 = try messages(await connection.roundTrip(fetch, version: 3))
            #expect(v3.map(\.offset) == [1, 2, 3, 4, 5] && v3.allSatisfy { $0.magic == 1 })
            #expect(v3.map(\.key) == ["k1", "k2", "k0", "k1", "k2"])
            let v0 = try messages(await connection.roundTrip(fetch, version: 0))
            #expect(v0.count == 5 && v0.allSatisfy { $0.magic == 0 })
        }
    }

    @Test func corruptOldMessagesAreRefused() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "old", numPartitions: 1, replicationFactor: 1)]), version: 0)
            var set = try messageSet(2, codec: .none)
            set.setInteger(UInt8(0x55), at: set.writerIndex - 1)
            let request = ProduceRequest(acks: 1, timeoutMs: 1000, topicData: [
                .init(name: "old", partitionData: [.init(index: 0, records: .bytes(set))]),
            ])
            #expect(try await connection.roundTrip(request, version: 1).responses[0].partitionResponses[0].errorCode
                    == ErrorCode.corruptMessage.rawValue)
        }
    }
}
