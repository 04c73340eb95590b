import KafkaProtocol
import NIOCore
import SluiceClient

/// Topic creation and deletion and single-message produce, through the Kafka protocol; each
/// answer (or the broker's error, in its words) goes back to the inbox.
public final class ClusterActions: Sendable {
    private let client: KafkaClient
    private let admin: KafkaAdmin
    private let inbox: EventInbox
    private let producer: LazyProducer

    public init(client: KafkaClient, inbox: EventInbox) {
        self.client = client
        self.admin = KafkaAdmin(client: client)
        self.inbox = inbox
        self.producer = LazyProducer(client: client, configuration: Self.producerConfiguration)
    }

    /// The `p` dialog's producer: Kafka's producer defaults since 3.0, acks=all and idempotence, so
    /// that retries during an outage never write a message twice; a failure after a timeout says
    /// the message may have been written. No linger: one message at a time.
    public static let producerConfiguration = ProducerConfiguration(acks: .all, linger: .zero, idempotence: true,
                                                                    deliveryTimeout: .seconds(15))

    public func createTopic(_ spec: TopicSpec) {
        Task { [admin, inbox] in
            do {
                try await admin.createTopic(NewTopic(name: spec.name, partitions: spec.partitions,
                                                     replicationFactor: spec.replicationFactor, configs: spec.configs))
                inbox.post(.topicCreated(name: spec.name, error: nil))
            } catch {
                inbox.post(.topicCreated(name: spec.name, error: Self.failure(error)))
            }
        }
    }

    public func deleteTopic(_ name: String) {
        Task { [admin, inbox] in
            do {
                try await admin.deleteTopics([name])
                inbox.post(.topicDeleted(name: name, error: nil))
            } catch {
                inbox.post(.topicDeleted(name: name, error: Self.failure(error)))
            }
        }
    }

    public func produce(_ spec: ProduceSpec) {
        Task { [producer, inbox] in
            do {
                let record = ProducerRecord(
                    topic: spec.topic, partition: spec.partition, key: spec.key.map { ByteBuffer(bytes: $0) },
                    value: ByteBuffer(bytes: spec.value),
                    headers: spec.headers.map { RecordHeader(key: $0.key, value: $0.value.map { ByteBuffer(bytes: $0) }) })
                let sent = try await producer.get().send(record)
                inbox.post(.produced(topic: sent.topic, partition: sent.partition, offset: sent.offset))
            } catch {
                inbox.post(.produceFailed(Self.failure(error, writing: true)))
            }
        }
    }

    public func close() async { await producer.close() }

    /// An action's failure as the user should read it: the cluster refused (a Kafka error code),
    /// could not be reached, or did not answer in time — after which a write may have happened.
    static func failure(_ error: any Error, writing: Bool = false) -> String {
        let words = KafkaClusterSource.words(error)
        switch (error as? KafkaClientError)?.kind {
        case .broker?: return "The cluster refused: \(words)"
        case .connection?: return "Cannot reach the cluster: \(words)"
        case .timeout?:
            return "No answer in time: \(words)" + (writing ? ". The message may have been written; check before sending it again" : "")
        default: return words
        }
    }
}

/// A producer created on first use (creating one talks to the cluster).
actor LazyProducer {
    private let client: KafkaClient
    private let configuration: ProducerConfiguration
    private var producer: KafkaProducer?

    init(client: KafkaClient, configuration: ProducerConfiguration) {
        self.client = client
        self.configuration = configuration
    }

    func get() async throws -> KafkaProducer {
        if let producer { return producer }
        let made = try await KafkaProducer(client: client, configuration: configuration)
        producer = made
        return made
    }

    func close() async {
        await producer?.close()
        producer = nil
    }
}
