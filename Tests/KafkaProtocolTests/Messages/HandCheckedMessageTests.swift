import NIOCore
import Testing

@testable import KafkaProtocol

/// Layouts worked out by hand from the JSON specs for the messages where mistakes are easy:
/// header versions, the ApiVersions exception, records, tagged fields, null versus empty,
/// nullable structs.
@Suite("Hand-checked message layouts")
struct HandCheckedMessageTests {
    private func hex<M: KafkaMessage>(_ message: M, _ version: Int16) -> String {
        var writer = WireWriter()
        message.encode(to: &writer, version: version)
        return Hex.string(writer.buffer.bytes)
    }

    private func decode<M: KafkaMessage>(_ type: M.Type, _ hex: String, _ version: Int16) throws -> M {
        var reader = WireReader(ByteBuffer(bytes: Hex.bytes(hex)))
        let message = try M(from: &reader, version: version)
        #expect(reader.remaining == 0)
        return message
    }

    @Test("request header: the client id stays a classic string even in flexible header v2")
    func requestHeader() throws {
        let header = RequestHeader(requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: "ab")
        #expect(hex(header, 2) == "0012" + "0003" + "00000007" + "00026162" + "00")
        #expect(hex(header, 1) == "0012" + "0003" + "00000007" + "00026162")
        #expect(hex(header, 0) == "0012" + "0003" + "00000007")
        #expect(hex(RequestHeader(requestApiKey: 3, requestApiVersion: 1, correlationId: 1, clientId: nil), 1) == "0003000100000001ffff")
        #expect(try decode(RequestHeader.self, "0012000300000007000261620100020a0b", 2).unknownTaggedFields.map(\.tag) == [0])
        #expect(ApiKey.apiVersions.requestHeaderVersion(3) == 2)
        #expect(ApiKey.apiVersions.requestHeaderVersion(2) == 1)
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(0) == 0)
    }

    @Test("ApiVersions responses always use response header v0, even for the flexible v3 body")
    func apiVersionsResponse() throws {
        let body = ApiVersionsResponse(errorCode: 0, apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        let frame = KafkaFrame.response(body, version: 3, correlationId: 1)
        guard case let .byteBuffer(bytes) = frame.first else { Issue.record("not bytes"); return }
        // size, correlation id (no tag buffer), error, compact array of 1, key 18 0..3, tags, throttle, tags
        #expect(Hex.string(bytes.bytes) == "00000013" + "00000001" + "0000" + "02" + "0012" + "0000" + "0003" + "00" + "00000000" + "00")
        #expect(hex(body, 0) == "0000" + "00000001" + "001200000003", "v0: classic array, no throttle time")
        let decoded = try KafkaFrame.decodeResponse(ApiVersionsResponse.self, from: bytes.getSlice(at: 4, length: 19)!, version: 3)
        #expect(decoded.correlationId == 1 && decoded.body == body)

        // Any other flexible response has header v1: a tag buffer after the correlation id.
        guard case let .byteBuffer(metadata) = KafkaFrame.response(MetadataResponse(), version: 9, correlationId: 2).first else { return }
        #expect(Array(metadata.bytes[4..<9]) == [0, 0, 0, 2, 0])
    }

    @Test("fetch response: records, null aborted transactions, a tagged diverging epoch")
    func fetchResponse() throws {
        let partition = FetchResponse.PartitionData(
            partitionIndex: 0, errorCode: 0, highWatermark: 100, lastStableOffset: 100, logStartOffset: 0,
            divergingEpoch: .init(epoch: 5, endOffset: 90), abortedTransactions: nil,
            records: .bytes(ByteBuffer(bytes: [1, 2, 3])))
        let response = FetchResponse(responses: [.init(topic: "t", partitions: [partition])])
        let v12 = "00000000" + "0000" + "00000000" + "02" + "0274" + "02" + "00000000" + "0000"
            + "0000000000000064" + "0000000000000064" + "0000000000000000" + "00" + "ffffffff" + "04010203"
            + "01" + "000d" + "00000005" + "000000000000005a" + "00" + "00" + "00"
        #expect(hex(response, 12) == v12)
        #expect(try decode(FetchResponse.self, v12, 12) == response)

        var old = response
        old.responses[0].partitions[0].records = nil
        let v4 = "00000000" + "00000001" + "000174" + "00000001" + "00000000" + "0000" + "0000000000000064"
            + "0000000000000064" + "ffffffff" + "ffffffff"
        #expect(hex(old, 4) == v4, "v4: no session, log start, preferred replica or tags; null records")
    }

    @Test("fetch request: replica id until v14, a tagged cluster id from v12")
    func fetchRequest() throws {
        let request = FetchRequest(
            clusterId: "c", maxWaitMs: 500, minBytes: 1,
            topics: [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])])
        let v12 = "ffffffff" + "000001f4" + "00000001" + "7fffffff" + "00" + "00000000" + "ffffffff" + "02" + "0274" + "02"
            + "00000000" + "ffffffff" + "0000000000000000" + "ffffffff" + "ffffffffffffffff" + "00100000" + "00" + "00"
            + "01" + "01" + "010002" + "0263"
        #expect(hex(request, 12) == v12)
        #expect(try decode(FetchRequest.self, hex(request, 12), 12) == request)
        #expect(hex(request, 15).hasPrefix("000001f4"), "v15 moves the replica id into a tagged struct")
    }

    @Test("produce request: nullable transactional id, records as bytes, classic and flexible")
    func produceRequest() throws {
        let request = ProduceRequest(
            transactionalId: nil, acks: -1, timeoutMs: 30000,
            topicData: [.init(name: "t", partitionData: [.init(index: 0, records: .bytes(ByteBuffer(bytes: [1, 2, 3])))])])
        #expect(hex(request, 3) == "ffff" + "ffff" + "00007530" + "00000001" + "000174" + "00000001" + "00000000" + "00000003010203")
        #expect(hex(request, 9) == "00" + "ffff" + "00007530" + "02" + "0274" + "02" + "00000000" + "04010203" + "00" + "00" + "00")
        let decoded = try decode(ProduceRequest.self, hex(request, 9), 9)
        #expect(decoded.topicData[0].partitionData[0].records?.bytes?.bytes == [1, 2, 3])
        #expect(hex(request, 2) == "ffff" + "00007530" + "00000001" + "000174" + "00000001" + "00000000" + "00000003010203")
    }

    @Test("metadata request: v0 has no null (empty means all), v1+ null means all and empty means none")
    func metadataTopics() throws {
        #expect(hex(MetadataRequest(topics: nil), 0) == "00000000")
        #expect(hex(MetadataRequest(topics: nil), 1) == "ffffffff")
        #expect(hex(MetadataRequest(topics: []), 1) == "00000000")
        #expect(hex(MetadataRequest(topics: nil, allowAutoTopicCreation: false), 4) == "ffffffff00")
        #expect(try decode(MetadataRequest.self, "ffffffff", 1).topics == nil)
        #expect(try decode(MetadataRequest.self, "00000000", 1).topics == [])
        #expect(throws: WireError.self) { _ = try decode(MetadataRequest.self, "ffffffff", 0) }
        // v10: a topic id before a nullable compact name.
        let byID = MetadataRequest(topics: [.init(topicId: KafkaUUID(high: 0, low: 1), name: nil)])
        #expect(hex(byID, 10) == "02" + "00000000000000000000000000000001" + "00" + "00" + "01" + "00" + "00" + "00")
    }

    @Test("describe topic partitions: the cursor is a nullable struct (-1 or 1 before it)")
    func describeTopicPartitions() throws {
        let first = DescribeTopicPartitionsRequest(topics: [.init(name: "t")])
        #expect(hex(first, 0) == "02" + "027400" + "000007d0" + "ff" + "00")
        let next = DescribeTopicPartitionsRequest(topics: [.init(name: "t")], cursor: .init(topicName: "t", partitionIndex: 3))
        #expect(hex(next, 0) == "02" + "027400" + "000007d0" + "01" + "0274" + "00000003" + "00" + "00")
        #expect(try decode(DescribeTopicPartitionsRequest.self, hex(next, 0), 0) == next)
        #expect(try decode(DescribeTopicPartitionsResponse.self, "00000000" + "01" + "ff" + "00", 0).nextCursor == nil)
        let response = try decode(DescribeTopicPartitionsResponse.self, "00000000" + "01" + "01" + "027800000009" + "00" + "00", 0)
        #expect(response.nextCursor == .init(topicName: "x", partitionIndex: 9))
    }
}
