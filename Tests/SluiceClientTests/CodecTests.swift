import KafkaProtocol
import NIOCore
import SluiceBase
import Testing
@testable import SluiceClient

@Suite struct CodecTests {
    @Test func producerBatchDecodesAsAValidRecordBatch() throws {
        var batch = ProducerBatch(id: 1, topicPartition: TopicPartition("t", 0), capacity: 64,
                                  allocator: ByteBufferAllocator(), now: 0)
        let long = String(repeating: "x", count: 300)  // a length that needs a two-byte varint
        batch.append(key: ByteBuffer(string: "k1"), value: ByteBuffer(string: "v1"), headers: [], timestamp: 1_000, delivery: nil)
        batch.append(key: nil, value: ByteBuffer(string: long),
                     headers: [RecordHeader(key: "h", value: ByteBuffer(string: "hv")), RecordHeader(key: "n", value: nil)],
                     timestamp: 1_500, delivery: nil)
        batch.append(key: ByteBuffer(), value: nil, headers: [], timestamp: 900, delivery: nil)
        try batch.seal(compression: .none, producerId: 7, producerEpoch: 2, baseSequence: 40, allocator: ByteBufferAllocator())
        let decoded = try RecordBatch(bytes: batch.sealed!)
        try decoded.validate()
        #expect(decoded.recordCount == 3)
        #expect(decoded.lastOffsetDelta == 2)
        #expect(decoded.baseTimestamp == 1_000)
        #expect(decoded.maxTimestamp == 1_500)
        #expect(decoded.producerId == 7)
        #expect(decoded.producerEpoch == 2)
        #expect(decoded.baseSequence == 40)
        let records = try decoded.records()
        #expect(records.map(\.offset) == [0, 1, 2])
        #expect(records.map(\.timestamp) == [1_000, 1_500, 900])
        #expect(records[0].key == ByteBuffer(string: "k1"))
        #expect(records[0].value == ByteBuffer(string: "v1"))
        #expect(records[1].key == nil)
        #expect(records[1].value == ByteBuffer(string: long))
        #expect(records[1].headers == [RecordHeader(key: "h", value: ByteBuffer(string: "hv")), RecordHeader(key: "n", value: nil)])
        #expect(records[2].key == ByteBuffer())
        #expect(records[2].value == nil)
    }

    @Test func encodedSizeMatchesWhatIsWritten() {
        var batch = ProducerBatch(id: 1, topicPartition: TopicPartition("t", 0), capacity: 16, allocator: ByteBufferAllocator(), now: 0)
        for i in 0..<200 {
            let value = ByteBuffer(string: String(repeating: "v", count: i * 7))
            let before = batch.sizeInBytes
            let written = batch.append(key: nil, value: value, headers: [], timestamp: Int64(i * 1_000_000), delivery: nil)
            #expect(batch.sizeInBytes - before == written)
        }
    }

    @Test func subscriptionAndAssignmentRoundTrip() throws {
        let subscription = ConsumerProtocolCodec.encodeSubscription(topics: ["b", "a"])
        #expect(try ConsumerProtocolCodec.decodeSubscription(subscription).topics == ["a", "b"])
        let partitions = [TopicPartition("a", 1), TopicPartition("b", 0), TopicPartition("a", 0)]
        let assignment = ConsumerProtocolCodec.encodeAssignment(partitions)
        #expect(try ConsumerProtocolCodec.decodeAssignment(assignment).sorted() == partitions.sorted())
        #expect(try ConsumerProtocolCodec.decodeAssignment(ByteBuffer()) == [])
    }

    @Test func subscriptionOfANewerVersionIsReadWithTheNewestKnownLayout() throws {
        // A v3 subscription as Kafka's Java consumer writes it, then a version this code has never seen.
        var writer = WireWriter()
        writer.writeInt16(3)
        ConsumerProtocolSubscription(topics: ["t"], userData: nil, ownedPartitions: [.init(topic: "t", partitions: [0])],
                                     generationId: 4, rackId: "r1").encode(to: &writer, version: 3)
        #expect(try ConsumerProtocolCodec.decodeSubscription(writer.buffer).generationId == 4)
        var future = writer.buffer
        future.setInteger(Int16(9), at: future.readerIndex)
        #expect(try ConsumerProtocolCodec.decodeSubscription(future).topics == ["t"])
    }

    @Test func truncatedAssignmentIsAnErrorNotACrash() {
        let assignment = ConsumerProtocolCodec.encodeAssignment([TopicPartition("topic", 3)])
        for cut in 1..<assignment.readableBytes {
            let truncated = assignment.getSlice(at: assignment.readerIndex, length: cut)!
            #expect(throws: (any Error).self) { try ConsumerProtocolCodec.decodeAssignment(truncated) }
        }
    }

    @Test func bootstrapAddressesParse() throws {
        #expect(try BrokerAddress.parseList("a:1, b:2,c") == [
            BrokerAddress(host: "a", port: 1), BrokerAddress(host: "b", port: 2), BrokerAddress(host: "c", port: 9092),
        ])
        #expect(BrokerAddress(bootstrapServer: "[::1]:9093") == BrokerAddress(host: "::1", port: 9093))
        #expect(throws: KafkaClientError.self) { try BrokerAddress.parseList("a:notaport") }
        #expect(throws: KafkaClientError.self) { try BrokerAddress.parseList(" , ") }
    }

    @Test func bootstrapLookupOrder() throws {
        let dir = FileManagerHelper.temporaryDirectory()
        defer { FileManagerHelper.remove(dir) }
        // Explicit wins, then the environment, then the data dir's bootstrap file, then the default.
        let env = ["SLUICE_BOOTSTRAP": "e:1", "XDG_DATA_HOME": dir]
        #expect(try BootstrapLookup.resolve(explicit: "x:2", environment: env).servers == [BrokerAddress(host: "x", port: 2)])
        #expect(try BootstrapLookup.resolve(environment: env).source == .environment)
        #expect(try BootstrapLookup.resolve(environment: ["XDG_DATA_HOME": dir]).source == .builtInDefault)
        FileManagerHelper.write("127.0.0.1:19201\n127.0.0.1:19202\n", to: dir + "/sluice/bootstrap")
        let fromFile = try BootstrapLookup.resolve(environment: ["XDG_DATA_HOME": dir])
        #expect(fromFile.servers == [BrokerAddress(host: "127.0.0.1", port: 19201), BrokerAddress(host: "127.0.0.1", port: 19202)])
        #expect(fromFile.source == .file(dir + "/sluice/bootstrap"))
        #expect(BootstrapLookup.defaultDataDirectory(environment: ["HOME": "/home/u"]) == "/home/u/.local/share/sluice")
    }

    @Test func versionNegotiationPicksTheHighestCommonVersion() throws {
        let table = ApiVersionTable(broker: [.produce: 0...7, .fetch: 4...16, .metadata: 0...0, .apiVersions: 0...3])
        #expect(table.version(for: .produce) == 7)
        #expect(table.version(for: .fetch) == 12)  // the client stops before topic ids
        #expect(table.version(for: .metadata) == nil)  // the client needs v1+
        #expect(table.version(for: .joinGroup) == nil)
        #expect(throws: KafkaClientError.self) { try table.requireVersion(for: .joinGroup, broker: "b") }
    }
}

import Foundation

enum FileManagerHelper {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "sluice-client-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) {
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
