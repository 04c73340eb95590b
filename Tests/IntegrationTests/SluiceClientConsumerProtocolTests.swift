import Foundation
import KafkaProtocol
import NIOCore
import SluiceClient
import Testing

/// SluiceClient's group consumer with KIP-848's protocol (`groupProtocol: .consumer`) against a
/// real broker: two consumers share a topic, the second's arrival moves only half the partitions
/// (the first keeps reading the rest), nothing is read twice thanks to the commit before giving a
/// partition up, and the survivor takes everything back when the other leaves.
@Suite(.serialized) struct SluiceClientConsumerProtocolTests {
    func client(_ broker: BrokerProcess) -> KafkaClient {
        KafkaClient(configuration: ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: broker.port)]))
    }

    /// How many times each value was read.
    final class Seen {
        var counts: [String: Int] = [:]
        var count: Int { counts.count }
    }

    /// Polls `consumers` into `seen` until `done` holds (or 60 s).
    func poll(_ consumers: [KafkaConsumer], into seen: Seen, until done: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !done() && ContinuousClock.now < deadline {
            for c in consumers {
                for r in try await c.poll(timeout: .milliseconds(100)) { seen.counts[String(buffer: r.value!), default: 0] += 1 }
            }
        }
    }

    @Test func twoConsumersShareATopicAndRebalanceIncrementally() async throws {
        let broker = try GroupBroker.shared()
        let admin = client(broker), first = client(broker), second = client(broker)
        defer { Task { await admin.close(); await first.close(); await second.close() } }
        let topic = "lib-kip848-\(UUID().uuidString.prefix(8))", group = "g-\(topic)"
        try await KafkaAdmin(client: admin).createTopic(NewTopic(name: topic, partitions: 4, replicationFactor: 1))
        let producer = try await KafkaProducer(client: admin, configuration: ProducerConfiguration(acks: .all))
        func produce(_ range: Range<Int>) async throws {
            for i in range { try await producer.enqueue(ProducerRecord(topic: topic, partition: Int32(i % 4), value: "v\(i)")) }
            try await producer.flush()
        }
        try await produce(0..<40)

        let configuration = ConsumerConfiguration(groupId: group, autoOffsetReset: .earliest,
                                                  autoCommitInterval: .milliseconds(200), groupProtocol: .consumer)
        let a = KafkaConsumer(client: first, configuration: configuration)
        try await a.subscribe(topics: [topic])
        let seen = Seen()
        try await poll([a], into: seen) { a.assignment.count == 4 && seen.count == 40 }
        #expect(a.assignment.count == 4 && seen.count == 40)

        let b = KafkaConsumer(client: second, configuration: configuration)
        try await b.subscribe(topics: [topic])
        try await produce(40..<80)
        try await poll([a, b], into: seen) { a.assignment.count == 2 && b.assignment.count == 2 && seen.count == 80 }
        #expect(Set(a.assignment).isDisjoint(with: b.assignment) && Set(a.assignment + b.assignment).count == 4)
        #expect(seen.count == 80)

        await b.close()
        try await produce(80..<120)
        try await poll([a], into: seen) { a.assignment.count == 4 && seen.count == 120 }
        #expect(a.assignment.count == 4)
        await a.close()
        await producer.close()
        #expect(seen.count == 120 && seen.counts.values.allSatisfy { $0 == 1 },
                "read twice: \(seen.counts.filter { $0.value > 1 }.keys.sorted().prefix(10))")
        let described = try await KafkaAdmin(client: admin).describeGroups([group]).first
        #expect(described?.type == "consumer" && described?.state == "Empty")
    }
}
