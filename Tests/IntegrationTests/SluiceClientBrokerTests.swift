import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceClient
import Testing

/// The SluiceClient library (producer, consumer, admin) against a real `sluice broker` process.
@Suite(.serialized) struct SluiceClientBrokerTests {
    private func client() throws -> KafkaClient {
        let broker = try SharedBroker.get()
        return KafkaClient(configuration: ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: broker.port)],
                                                              clientId: "client-tests"))
    }

    @Test func idempotentProducerThenConsumerReadsEverythingInOrder() async throws {
        let client = try client()
        let admin = KafkaAdmin(client: client)
        let topic = SharedBroker.topic("lib-rt")
        try await admin.createTopic(NewTopic(name: topic, partitions: 3, replicationFactor: 1))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(
            acks: .all, linger: .milliseconds(2), batchSize: 4096, idempotence: true))
        let count = 5000
        for i in 0..<count {
            try await producer.enqueue(ProducerRecord(topic: topic, key: "k\(i % 17)", value: "\(i)",
                                                      headers: [RecordHeader(key: "i", value: ByteBuffer(string: "\(i)"))]))
        }
        let last = try await producer.send(ProducerRecord(topic: topic, key: "k0", value: "\(count)"))
        try await producer.flush()
        await producer.close()
        #expect(last.partition == Partitioner.partition(forKey: ByteBuffer(string: "k0"), partitionCount: 3))
        #expect(last.offset >= 0)

        let consumer = KafkaConsumer(client: client)
        let partitions = (0..<3).map { TopicPartition(topic, Int32($0)) }
        try await consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, StartPosition.earliest) }))
        var seen: [ConsumerRecord] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while seen.count < count + 1 && ContinuousClock.now < deadline {
            seen += try await consumer.poll(timeout: .milliseconds(500))
        }
        await consumer.close()
        #expect(seen.count == count + 1)
        var lastPerKey: [String: Int] = [:]
        for r in seen {
            let key = String(buffer: r.key!)
            let value = Int(String(buffer: r.value!))!
            #expect(value > lastPerKey[key, default: -1], "order of key \(key)")
            lastPerKey[key] = value
            #expect(r.partition == Partitioner.partition(forKey: r.key!, partitionCount: 3))
            if value < count { #expect(r.headers == [RecordHeader(key: "i", value: ByteBuffer(string: "\(value)"))]) }
        }
        let ends = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, OffsetQuery.latest) }))
        #expect(ends.values.reduce(0, +) == Int64(count + 1))
        await client.close()
    }

    @Test func adminManagesTopicsConfigsAndOffsets() async throws {
        let client = try client()
        let admin = KafkaAdmin(client: client)
        let topic = SharedBroker.topic("lib-admin")
        try await admin.createTopic(NewTopic(name: topic, partitions: 2, replicationFactor: 1, configs: ["retention.ms": "600000"]))
        do {
            try await admin.createTopic(NewTopic(name: topic, partitions: 2, replicationFactor: 1))
            Issue.record("expected TOPIC_ALREADY_EXISTS")
        } catch let error as KafkaClientError {
            #expect(error.errorCode == .topicAlreadyExists)
            #expect(error.resource == "topic '\(topic)'")
        }
        #expect(try await admin.listTopics().contains { $0.name == topic && $0.partitions == 2 })
        try await admin.createPartitions(topic: topic, totalCount: 4)
        #expect(try await admin.describeTopics([topic]).first?.partitions.count == 4)

        let configs = try await admin.describeConfigs(.topic(topic))
        #expect(configs.first { $0.name == "retention.ms" }?.value == "600000")
        #expect(configs.first { $0.name == "retention.ms" }?.source == .dynamicTopic)
        try await admin.alterConfigs(.topic(topic), [.set("retention.ms", "1200000")])
        #expect(try await admin.describeConfigs(.topic(topic), names: ["retention.ms"]).first?.value == "1200000")

        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader))
        let before = Int64(Date().timeIntervalSince1970 * 1000) - 10_000
        for i in 0..<10 {
            _ = try await producer.send(ProducerRecord(topic: topic, partition: 1, value: "r\(i)", timestamp: before + Int64(i) * 1000))
        }
        await producer.close()
        let tp = TopicPartition(topic, 1)
        let offsets = try await admin.listOffsets([tp: .timestamp(before + 4500)])
        #expect(offsets[tp] == 5)
        #expect(try await admin.listOffsets([tp: .earliest])[tp] == 0)
        #expect(try await admin.listOffsets([tp: .latest])[tp] == 10)
        // A time after every record: the log end.
        #expect(try await admin.listOffsets([tp: .timestamp(before + 3_600_000)])[tp] == 10)

        let cluster = try await admin.describeCluster()
        #expect(cluster.brokers.map(\.nodeId) == [1])
        let dirs = try await admin.describeLogDirs()
        #expect(dirs.contains { dir in dir.partitions.contains { $0.topicPartition == tp && $0.size > 0 } })

        try await admin.deleteTopics([topic])
        await #expect(throws: KafkaClientError.self) { _ = try await admin.describeTopics([topic]) }
        await client.close()
    }

    @Test func outOfRangePositionResetsAndSeekMoves() async throws {
        let client = try client()
        let admin = KafkaAdmin(client: client)
        let topic = SharedBroker.topic("lib-reset")
        try await admin.createTopic(NewTopic(name: topic, partitions: 1, replicationFactor: 1))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader))
        for i in 0..<5 { try await producer.enqueue(ProducerRecord(topic: topic, value: "r\(i)")) }
        try await producer.flush()
        await producer.close()
        let tp = TopicPartition(topic, 0)
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(autoOffsetReset: .earliest))
        try await consumer.assign([tp: .offset(1000)])
        var got: [ConsumerRecord] = []
        while got.count < 5 { got += try await consumer.poll(timeout: .seconds(10)) }
        #expect(got.map(\.offset) == [0, 1, 2, 3, 4])
        try await consumer.seek(tp, to: .offset(3))
        var again: [ConsumerRecord] = []
        while again.count < 2 { again += try await consumer.poll(timeout: .seconds(10)) }
        #expect(again.map { String(buffer: $0.value!) } == ["r3", "r4"])
        // A poll with nothing to read returns empty at its timeout; a cancelled one returns at once.
        #expect(try await consumer.poll(timeout: .milliseconds(200)).isEmpty)
        let waiting = Task { try await consumer.poll(timeout: .seconds(60)) }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        await consumer.close()
        await client.close()
    }
}
