import KafkaProtocol
import NIOCore
import Testing
@testable import SluiceBroker

@Suite(.onTestThreads) struct ProduceFetchTests {
    func fetchRequest(_ topic: String, offset: Int64, maxWaitMs: Int32 = 0, minBytes: Int32 = 1,
                      maxBytes: Int32 = 1 << 20, partitionMaxBytes: Int32 = 1 << 20) -> FetchRequest {
        FetchRequest(maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes, isolationLevel: 1, topics: [
            .init(topic: topic, partitions: [.init(partition: 0, fetchOffset: offset, partitionMaxBytes: partitionMaxBytes)]),
        ])
    }

    func batches(_ response: FetchResponse) -> [RecordBatch] {
        guard case let .bytes(bytes)? = response.responses.first?.partitions.first?.records else { return [] }
        return Array(RecordBatchSequence(bytes))
    }

    @Test func producedBatchesComeBackByteForByteWithAssignedOffsets() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "p", numPartitions: 1, replicationFactor: 1)]), version: 4)
            let batch = try makeBatch(5)
            let first = try await connection.roundTrip(produceRequest(topic: "p", batch: batch), version: 9)
            let second = try await connection.roundTrip(produceRequest(topic: "p", acks: -1, batch: try makeBatch(3)), version: 3)
            #expect(first.responses[0].partitionResponses[0].baseOffset == 0)
            #expect(second.responses[0].partitionResponses[0].baseOffset == 5)
            let fetched = try await connection.roundTrip(fetchRequest("p", offset: 0), version: 12)
            let partition = fetched.responses[0].partitions[0]
            #expect(partition.highWatermark == 8 && partition.lastStableOffset == 8)
            let got = batches(fetched)
            #expect(got.map(\.baseOffset) == [0, 5])
            #expect(got[0].bytes.getSlice(at: got[0].bytes.readerIndex + 8, length: got[0].totalSize - 8)
                    == batch.bytes.getSlice(at: batch.bytes.readerIndex + 8, length: batch.totalSize - 8) || got[0].crc == batch.crc)
            #expect(got[0].crc == got[0].computeCRC())
            // Out of range and the log end.
            let beyond = try await connection.roundTrip(fetchRequest("p", offset: 99), version: 11)
            #expect(beyond.responses[0].partitions[0].errorCode == ErrorCode.offsetOutOfRange.rawValue)
            let atEnd = try await connection.roundTrip(fetchRequest("p", offset: 8), version: 11)
            #expect(atEnd.responses[0].partitions[0].errorCode == 0 && batches(atEnd).isEmpty)
        }
    }

    @Test func invalidBatchesAreRefused() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [
                .init(name: "v", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "max.message.bytes", value: "200")]),
                .init(name: "isr", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "min.insync.replicas", value: "2")]),
            ]), version: 4)
            func code(_ request: ProduceRequest) async throws -> Int16 {
                try await connection.roundTrip(request, version: 9).responses[0].partitionResponses[0].errorCode
            }
            #expect(try await code(produceRequest(topic: "v", batch: try makeBatch(50))) == ErrorCode.messageTooLarge.rawValue)
            var corrupt = try makeBatch(2).bytes
            corrupt.setInteger(UInt8(0xFF), at: corrupt.writerIndex - 1)
            let corruptRequest = ProduceRequest(acks: 1, timeoutMs: 1000, topicData: [
                .init(name: "v", partitionData: [.init(index: 0, records: .bytes(corrupt))])])
            #expect(try await code(corruptRequest) == ErrorCode.corruptMessage.rawValue)
            var truncated = try makeBatch(2).bytes
            truncated.moveWriterIndex(to: truncated.writerIndex - 3)
            #expect(try await code(ProduceRequest(acks: 1, timeoutMs: 1000, topicData: [
                .init(name: "v", partitionData: [.init(index: 0, records: .bytes(truncated))])])) == ErrorCode.corruptMessage.rawValue)
            #expect(try await code(produceRequest(topic: "nope", batch: try makeBatch(1))) == ErrorCode.unknownTopicOrPartition.rawValue)
            #expect(try await code(produceRequest(topic: "isr", acks: -1, batch: try makeBatch(1))) == ErrorCode.notEnoughReplicas.rawValue)
            #expect(try await code(produceRequest(topic: "isr", acks: 1, batch: try makeBatch(1))) == 0)
            #expect(try await code(produceRequest(topic: "isr", acks: 2, batch: try makeBatch(1))) == ErrorCode.invalidRequiredAcks.rawValue)
        }
    }

    @Test func longPollHoldsBackLaterResponsesAndWakesOnAppend() async throws {
        try await BrokerFixture.with { fixture in
            let consumer = try await fixture.connect()
            let producer = try await fixture.connect()
            _ = try await producer.roundTrip(CreateTopicsRequest(topics: [.init(name: "lp", numPartitions: 1, replicationFactor: 1)]), version: 4)
            // A fetch that waits up to 20 s, then a metadata request on the same connection.
            let fetchId = try await consumer.send(fetchRequest("lp", offset: 0, maxWaitMs: 20_000, minBytes: 1), version: 12)
            let metadataId = try await consumer.send(MetadataRequest(topics: nil), version: 9)
            // An acks=0 produce gets no response: the next frame on this connection answers the metadata.
            _ = try await producer.send(produceRequest(topic: "lp", acks: 0, batch: try makeBatch(2)), version: 9)
            let metadata = try await producer.roundTrip(MetadataRequest(topics: nil), version: 9)
            #expect(metadata.topics.map(\.name) == ["lp"])
            // The append woke the fetch; its response comes first, then the metadata response.
            let fetched = try await consumer.receive(FetchResponse.self, version: 12, correlationId: fetchId)
            #expect(batches(fetched).map(\.recordCount) == [2])
            _ = try await consumer.receive(MetadataResponse.self, version: 9, correlationId: metadataId)
        }
    }

    @Test func firstBatchIsWholeEvenBeyondTheLimits() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "big", numPartitions: 1, replicationFactor: 1)]), version: 4)
            _ = try await connection.roundTrip(produceRequest(topic: "big", batch: try makeBatch(100)), version: 9)
            _ = try await connection.roundTrip(produceRequest(topic: "big", batch: try makeBatch(100)), version: 9)
            let fetched = try await connection.roundTrip(fetchRequest("big", offset: 0, maxBytes: 10, partitionMaxBytes: 10), version: 12)
            #expect(batches(fetched).map(\.baseOffset) == [0])
        }
    }

    @Test func malformedBodyClosesOnlyItsConnection() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            var writer = WireWriter()
            writer.writeInt32(0)
            RequestHeader(requestApiKey: 3, requestApiVersion: 9, correlationId: 1, clientId: "x").encode(to: &writer, version: 2)
            writer.writeUnsignedVarint(200)  // a topic array claiming 199 entries with no bytes behind it
            var frame = writer.buffer
            frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
            await connection.send(frame)
            #expect(await connection.isClosedByPeer())
            #expect(try await fixture.connect().roundTrip(ApiVersionsRequest(), version: 3).errorCode == 0)
        }
    }
}

@Suite(.onTestThreads) struct FetchByTopicIdTests {
    @Test func fetchV13UsesTopicIdsAndDescribeLogDirsReportsSizes() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            let created = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "ids", numPartitions: 1, replicationFactor: 1)]), version: 7)
            let id = created.topics[0].topicId
            _ = try await connection.roundTrip(produceRequest(topic: "ids", batch: try makeBatch(4)), version: 11)
            func fetch(_ topicId: KafkaUUID) async throws -> FetchResponse.PartitionData {
                let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
                    .init(topicId: topicId, partitions: [.init(partition: 0, currentLeaderEpoch: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
                ])
                return try await connection.roundTrip(request, version: 16).responses[0].partitions[0]
            }
            let known = try await fetch(id)
            #expect(known.errorCode == 0 && known.records?.byteCount ?? 0 > 0 && known.highWatermark == 4)
            #expect(try await fetch(KafkaUUID.random()).errorCode == ErrorCode.unknownTopicId.rawValue)

            let fenced = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
                .init(topic: "ids", partitions: [.init(partition: 0, currentLeaderEpoch: 3, fetchOffset: 0, partitionMaxBytes: 100)]),
            ])
            #expect(try await connection.roundTrip(fenced, version: 12).responses[0].partitions[0].errorCode == ErrorCode.unknownLeaderEpoch.rawValue)

            let dirs = try await connection.roundTrip(DescribeLogDirsRequest(topics: nil), version: 4)
            let partition = dirs.results.first?.topics.first { $0.name == "ids" }?.partitions.first
            #expect(partition?.partitionSize ?? 0 > 0)
            #expect(dirs.results.first?.totalBytes ?? 0 > 0)
        }
    }
}
