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
///
/// It outlasts outages: while it is on, the producer and the consumer each start again after any
/// failure (a consumer that stops receiving while the producer writes rejoins its group), and
/// what keeps them from working is posted as the demo load's trouble (`.demoLoadStatus`), cleared
/// once both work again.
public final class DemoLoad: Sendable {
    public static let topic = "sluice-demo"
    public static let group = "sluice-demo-readers"
    /// Seconds the consumer may receive nothing while the producer's records are acknowledged,
    /// before it leaves and rejoins its group.
    static let consumerSilence: Double = 20

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
                await Self.run(client: producer, consumerClient: consumer, health: DemoHealth(inbox: inbox))
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

    private static func run(client: KafkaClient, consumerClient: KafkaClient, health: DemoHealth) async {
        // The topic first (again after each failure: the cluster may be down from the start).
        while !Task.isCancelled {
            do {
                let admin = KafkaAdmin(client: client)
                let brokers = try await client.metadata(topics: [], refresh: true).brokers.count
                do {
                    try await admin.createTopic(NewTopic(name: topic, partitions: 3,
                                                         replicationFactor: Int16(max(1, min(3, brokers)))))
                } catch let e as KafkaClientError where e.errorCode == .topicAlreadyExists {}
                break
            } catch {
                health.set(.producer, "cannot create \(topic): \(KafkaClusterSource.words(error))")
                try? await Task.sleep(for: .seconds(2))
            }
        }
        guard !Task.isCancelled else { return }
        health.started()
        async let producing: Void = produceForever(client: client, health: health)
        async let consuming: Void = consumeForever(client: consumerClient, health: health)
        _ = await (producing, consuming)
    }

    /// A producer writing until cancelled; replaced after any failure.
    private static func produceForever(client: KafkaClient, health: DemoHealth) async {
        while !Task.isCancelled {
            var producer: KafkaProducer?
            do {
                // acks=1 and no idempotence: a demo's throughput, whatever the defaults; failures
                // surface within 10 s (delivery.timeout.ms) so the trouble shows while it lasts.
                let made = try await KafkaProducer(client: client, configuration: ProducerConfiguration(
                    acks: .leader, idempotence: false, deliveryTimeout: .seconds(10)))
                producer = made
                try await produce(made, health: health)
            } catch {
                if Task.isCancelled { break }
                health.set(.producer, KafkaClusterSource.words(error))
            }
            await producer?.close()
            if !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
        }
    }

    /// JSON events at a rate that swings between 100 and 700 messages/s over 40 s, until cancelled.
    private static func produce(_ producer: KafkaProducer, health: DemoHealth) async throws {
        let start = Clocks.monotonic()
        var sequence = 0
        let delivered: @Sendable (Result<RecordMetadata, KafkaClientError>) -> Void = { result in
            switch result {
            case .success: health.acknowledged()
            case .failure(let error): health.set(.producer, KafkaClusterSource.words(error))
            }
        }
        while !Task.isCancelled {
            let t = Clocks.monotonic() - start
            let rate = 400 + 300 * sin(t / 40 * 2 * .pi)
            for _ in 0..<Int(rate / 10) {
                sequence += 1
                let user = sequence % 97
                let value = #"{"seq":\#(sequence),"user":"u-\#(user)","action":"\#(["view", "click", "buy"][sequence % 3])","amount":\#(Double(sequence % 1000) / 10)}"#
                try await producer.enqueue(ProducerRecord(topic: topic, key: "user-\(user)", value: value), onDelivery: delivered)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A group member reading until cancelled; it leaves and rejoins after any failure, and when
    /// it receives nothing for ``consumerSilence`` seconds while the producer's records are
    /// acknowledged (a member the group lost during an outage, left waiting).
    private static func consumeForever(client: KafkaClient, health: DemoHealth) async {
        while !Task.isCancelled {
            let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
                groupId: group, autoOffsetReset: .latest, enableAutoCommit: true, autoCommitInterval: .seconds(1)))
            do {
                try await consumer.subscribe(topics: [topic])
                let start = Clocks.monotonic()
                var lastRecords = start
                while !Task.isCancelled {
                    let t = Clocks.monotonic() - start
                    let rate = 420 + 330 * sin(t / 25 * 2 * .pi + 1)
                    let records = try await consumer.poll(maxRecords: max(1, Int(rate / 10)), timeout: .milliseconds(100))
                    let now = Clocks.monotonic()
                    if !records.isEmpty {
                        lastRecords = now
                        health.set(.consumer, nil)
                    } else if now - lastRecords > consumerSilence, health.acknowledgedSince(lastRecords + 5) {
                        throw DemoStall("received nothing for \(Int(consumerSilence)) s while the producer wrote; rejoining")
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            } catch {
                if !Task.isCancelled { health.set(.consumer, KafkaClusterSource.words(error)) }
            }
            await consumer.close()
            if !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
        }
    }
}

private struct DemoStall: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What keeps the demo's producer or consumer from working, posted to the console when it changes.
/// A producer failure stays the trouble until records have been acknowledged for ``settle``
/// seconds without another: with some partition leaders down, some records fail while others
/// succeed, which is a trouble, not a recovery every second.
final class DemoHealth: Sendable {
    enum Part: String { case producer, consumer }

    static let settle: Double = 10

    private struct State {
        var producer: (problem: String, at: Double)?
        var consumer: String?
        var lastAcknowledged: Double = -.infinity
        /// The trouble last posted: nil before anything was posted.
        var posted: String??
        var running = false
    }

    private let inbox: EventInbox
    private let state = Mutex(State())

    init(inbox: EventInbox) { self.inbox = inbox }

    /// The topic exists: the load is running (said once).
    func started() {
        state.withLock { $0.running = true }
        inbox.post(.actionDone("Demo load running: producing to \(DemoLoad.topic), group \(DemoLoad.group) consuming"))
        post()
    }

    func acknowledged() {
        let now = Clocks.monotonic()
        let changed = state.withLock { s -> Bool in
            s.lastAcknowledged = now
            guard let failure = s.producer, now - failure.at >= Self.settle else { return false }
            s.producer = nil
            return true
        }
        if changed { post() }
    }

    func acknowledgedSince(_ time: Double) -> Bool { state.withLock { $0.lastAcknowledged >= time } }

    /// `problem` of `part` (nil: the consumer receives again; the producer clears by acknowledgements).
    func set(_ part: Part, _ problem: String?) {
        let now = Clocks.monotonic()
        let changed = state.withLock { s -> Bool in
            switch part {
            case .producer:
                guard let problem else { return false }
                defer { s.producer = (problem, now) }
                return s.producer?.problem != problem
            case .consumer:
                defer { s.consumer = problem }
                return s.consumer != problem
            }
        }
        if changed { post() }
    }

    /// Posts the combined trouble (nil: working) when it differs from the last one posted.
    private func post() {
        let trouble: String?? = state.withLock { s in
            let parts = [s.producer.map { "producer: \($0.problem)" }, s.consumer.map { "consumer: \($0)" }].compactMap { $0 }
            let now: String? = parts.isEmpty ? nil : parts.joined(separator: "; ")
            if let posted = s.posted, posted == now { return .none }
            if s.posted == nil, now == nil, !s.running { return .none }
            s.posted = .some(now)
            return .some(now)
        }
        if case .some(let t) = trouble { inbox.post(.demoLoadStatus(t)) }
    }
}
