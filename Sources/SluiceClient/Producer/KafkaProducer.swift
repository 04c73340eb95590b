import KafkaProtocol
import NIOCore

/// A Kafka producer: batching per partition, linger, compression, `acks`, idempotence (on by
/// default, as in Kafka since 3.0), and retries that keep each partition's order.
///
/// ```swift
/// let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .all))
/// let where_ = try await producer.send(ProducerRecord(topic: "orders", key: "42", value: "hello"))
/// for line in lines { try await producer.enqueue(ProducerRecord(topic: "orders", value: line)) }
/// try await producer.flush()
/// await producer.close()
/// ```
///
/// ``send(_:)`` waits for the record's acknowledgement; ``enqueue(_:onDelivery:)`` returns once
/// the record is buffered (waiting only when `bufferMemory` is full), which is how to reach full
/// throughput. Failures of enqueued records without a callback are thrown by the next ``flush()``.
/// Cancelling a waiting `send` does not withdraw a record that is already buffered.
public final class KafkaProducer: Sendable {
    public let client: KafkaClient
    public let configuration: ProducerConfiguration
    let accumulator: RecordAccumulator
    private let sender: Sender
    private let senderTask: Task<Void, Never>

    /// Creates a producer on `client`. With idempotence on, asks the cluster for a producer id first.
    public init(client: KafkaClient, configuration: ProducerConfiguration = ProducerConfiguration()) async throws {
        try configuration.validate()
        self.client = client
        self.configuration = configuration
        let accumulator = RecordAccumulator(configuration: configuration)
        self.accumulator = accumulator
        if configuration.idempotence {
            let (id, epoch) = try await Self.initProducerId(client: client)
            accumulator.setProducerIdentity(id: id, epoch: epoch)
        }
        let sender = Sender(client: client, accumulator: accumulator, configuration: configuration)
        self.sender = sender
        self.senderTask = Task { await sender.run() }
    }

    private static func initProducerId(client: KafkaClient) async throws -> (Int64, Int16) {
        try await client.withRetries("InitProducerId") {
            let connection = try await client.anyConnection()
            let request = InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: Int32.max,
                                                producerId: -1, producerEpoch: -1)
            let response = try await connection.send(request)
            try ErrorCode(response.errorCode).check(resource: "InitProducerId")
            return (response.producerId, response.producerEpoch)
        }
    }

    // MARK: Sending

    /// Sends a record and waits for its acknowledgement.
    public func send(_ record: ProducerRecord) async throws -> RecordMetadata {
        let count = try await partitionCount(for: record)
        let size = ProducerBatch.encodedSize(key: record.key, value: record.value, headers: record.headers,
                                             offsetDelta: 0, timestampDelta: 0).total
        try checkSize(size, record)
        try await accumulator.waitForMemory(size: size)
        let timestamp = record.timestamp ?? currentTimeMillis()
        return try await withCheckedThrowingContinuation { continuation in
            do {
                _ = try accumulator.append(topic: record.topic, partition: Self.partition(record, count), partitionCount: count,
                                           key: record.key, value: record.value, headers: record.headers,
                                           timestamp: timestamp, delivery: .continuation(continuation), force: true)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Buffers a record for sending; `onDelivery` (if given) hears how it went, from the sender's
    /// task. Waits only while the buffer is full.
    public func enqueue(_ record: ProducerRecord,
                        onDelivery: (@Sendable (Result<RecordMetadata, KafkaClientError>) -> Void)? = nil) async throws {
        let count = try await partitionCount(for: record)
        let timestamp = record.timestamp ?? currentTimeMillis()
        let target = onDelivery.map { DeliveryTarget.callback($0) }
        let partition = Self.partition(record, count)
        while true {
            if try accumulator.append(topic: record.topic, partition: partition, partitionCount: count,
                                      key: record.key, value: record.value, headers: record.headers,
                                      timestamp: timestamp, delivery: target, force: false) {
                return
            }
            let size = ProducerBatch.encodedSize(key: record.key, value: record.value, headers: record.headers,
                                                 offsetDelta: 0, timestampDelta: 0).total
            try checkSize(size, record)
            try await accumulator.waitForMemory(size: size)
        }
    }

    /// Sends everything buffered now, waits until it is acknowledged or failed, and throws the
    /// first failure of a record enqueued without a delivery callback.
    public func flush() async throws {
        await accumulator.flush()
        if let error = accumulator.takeUnobservedError() { throw error }
    }

    /// Flushes, then stops the sender. Records cannot be sent afterwards. Does not close `client`.
    public func close() async {
        await accumulator.flush()
        accumulator.beginClose()
        await senderTask.value
    }

    /// The number of partitions of `topic` (from metadata, refreshed when unknown).
    public func partitionCount(topic: String) async throws -> Int {
        try await partitionCount(for: ProducerRecord(topic: topic, value: nil as ByteBuffer?))
    }

    /// The explicit partition, else the key's (murmur2), else nil for the sticky choice.
    @inline(__always)
    private static func partition(_ record: ProducerRecord, _ count: Int) -> Int32? {
        if let p = record.partition { return p }
        if let key = record.key { return Partitioner.partition(forKey: key, partitionCount: count) }
        return nil
    }

    private func checkSize(_ size: Int, _ record: ProducerRecord) throws {
        if size + RecordBatch.headerSize > configuration.maxRequestSize {
            throw KafkaClientError.broker(.messageTooLarge, resource: "topic '\(record.topic)'",
                                          message: "the record takes \(size) bytes, more than the request limit of \(configuration.maxRequestSize)")
        }
    }

    @inline(__always)
    private func partitionCount(for record: ProducerRecord) async throws -> Int {
        let cached: Int? = client.metadataCache.withCurrent { metadata in
            guard let topic = metadata.topics[record.topic], topic.error == .noError, !topic.partitions.isEmpty else { return nil }
            return topic.partitions.count
        }
        let count: Int
        if let cached {
            count = cached
        } else {
            count = try await fetchPartitionCount(record.topic)
        }
        if let p = record.partition, p < 0 || Int(p) >= count {
            throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "partition \(record.topic)-\(p)",
                                          message: "topic '\(record.topic)' has \(count) partition(s), 0-\(count - 1)")
        }
        return count
    }

    /// Waits (up to `max.block.ms`) for the topic's metadata, asking the cluster to create it when
    /// its `auto.create.topics.enable` allows, as Kafka's producer does.
    private func fetchPartitionCount(_ topic: String) async throws -> Int {
        try await client.waitForTopic(topic, allowAutoTopicCreation: true, timeout: configuration.maxBlock).partitions.count
    }
}
