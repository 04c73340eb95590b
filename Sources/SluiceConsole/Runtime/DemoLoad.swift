import Synchronization
import Foundation
import NIOCore
import SluiceClient

/// The `l` key's built-in load: a producer writing JSON events to `sluice-demo` at a rate that
/// swings between 100 and 700 messages/s, and a consumer group `sluice-demo-readers` reading at a
/// rate that swings on a different period, so throughput, lag and their trends move on screen.
/// Both are ordinary Kafka clients, each with connections of its own (client ids
/// `sluice-demo-producer` and `sluice-demo-consumer`): a broker answers a connection's requests in
/// order, so the consumer's long-polling fetches and its JoinGroup (held while the group
/// rebalances) never delay the producer, nor the console's polls. Nothing here touches the
/// cluster any other way.
public final class DemoLoad: Sendable {
    public static let topic = "sluice-demo"
    public static let group = "sluice-demo-readers"

    private let configuration: ClientConfiguration
    private let inbox: EventInbox
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// `configuration`: how to reach the cluster; the client ids are the demo's own.
    public init(configuration: ClientConfiguration, inbox: EventInbox) {
        self.configuration = configuration
        self.inbox = inbox
    }

    public func setRunning(_ on: Bool) {
        let old = task.withLock { t -> Task<Void, Never>? in
            let old = t
            t = on ? Task { [configuration, inbox] in
                var producing = configuration
                // Patient retries: the demo waits for a group coordinator that is starting, the
                // console's polls do not.
                producing.retry = RetryPolicy(maxAttempts: 10, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
                var consuming = producing
                producing.clientId = "sluice-demo-producer"
                consuming.clientId = "sluice-demo-consumer"
                let producer = KafkaClient(configuration: producing), consumer = KafkaClient(configuration: consuming)
                await Self.run(client: producer, consumerClient: consumer, inbox: inbox)
                await producer.close()
                await consumer.close()
            } : nil
            return old
        }
        old?.cancel()
    }

    public func stop() async {
        let t = task.withLock { t -> Task<Void, Never>? in
            defer { t = nil }
            return t
        }
        t?.cancel()
        await t?.value
    }

    private static func run(client: KafkaClient, consumerClient: KafkaClient, inbox: EventInbox) async {
        do {
            let admin = KafkaAdmin(client: client)
            let brokers = try await client.metadata(topics: [], refresh: true).brokers.count
            do {
                try await admin.createTopic(NewTopic(name: topic, partitions: 3, replicationFactor: Int16(max(1, min(3, brokers)))))
            } catch let e as KafkaClientError where e.errorCode == .topicAlreadyExists {}
            let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader))
            inbox.post(.actionDone("Demo load running: producing to \(topic), group \(group) consuming"))
            let consumer = Task { await consume(client: consumerClient, inbox: inbox) }
            var failure: (any Error)?
            do { try await produce(producer) } catch { failure = error }
            consumer.cancel()
            await consumer.value
            await producer.close()
            if let failure { throw failure }
        } catch {
            if !Task.isCancelled { inbox.post(.demoLoadFailed(KafkaClusterSource.words(error))) }
        }
    }

    /// JSON events at a rate that swings between 100 and 700 messages/s over 40 s, until cancelled.
    private static func produce(_ producer: KafkaProducer) async throws {
        let start = Clocks.monotonic()
        var sequence = 0
        while !Task.isCancelled {
            let t = Clocks.monotonic() - start
            let rate = 400 + 300 * sin(t / 40 * 2 * .pi)
            for _ in 0..<Int(rate / 10) {
                sequence += 1
                let user = sequence % 97
                let value = #"{"seq":\#(sequence),"user":"u-\#(user)","action":"\#(["view", "click", "buy"][sequence % 3])","amount":\#(Double(sequence % 1000) / 10)}"#
                try await producer.enqueue(ProducerRecord(topic: topic, key: "user-\(user)", value: value))
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private static func consume(client: KafkaClient, inbox: EventInbox) async {
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
            groupId: group, autoOffsetReset: .latest, enableAutoCommit: true, autoCommitInterval: .seconds(1)))
        do {
            try await consumer.subscribe(topics: [topic])
            let start = Clocks.monotonic()
            while !Task.isCancelled {
                let t = Clocks.monotonic() - start
                let rate = 420 + 330 * sin(t / 25 * 2 * .pi + 1)
                _ = try await consumer.poll(maxRecords: max(1, Int(rate / 10)), timeout: .milliseconds(100))
                try? await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            if !Task.isCancelled { inbox.post(.actionFailed("Demo consumer group: \(KafkaClusterSource.words(error))")) }
        }
        await consumer.close()
    }
}
