import KafkaProtocol

/// Producer settings, named after Kafka's producer configs.
public struct ProducerConfiguration: Sendable {
    /// `acks`.
    public var acks: Acks
    /// `compression.type`.
    public var compression: CompressionCodec
    /// `linger.ms`: how long a batch may wait for more records before it is sent.
    public var linger: Duration
    /// `batch.size`: a partition's batch is sent once its records take this many bytes.
    public var batchSize: Int
    /// `buffer.memory`: record bytes buffered before `send` waits for the sender to catch up.
    public var bufferMemory: Int
    /// `max.request.size`: the largest produce request (and so the largest record) sent.
    public var maxRequestSize: Int
    /// `max.in.flight.requests.per.connection`.
    public var maxInFlightRequestsPerConnection: Int
    /// `enable.idempotence`: InitProducerId, per-partition sequence numbers, retries that neither
    /// duplicate nor reorder. Needs `acks=all` (as in Kafka) and at most 5 requests in flight.
    public var idempotence: Bool
    /// `retries`: attempts after the first for a batch that failed with a retriable error.
    public var retries: Int
    /// `retry.backoff.ms`.
    public var retryBackoff: Duration
    /// `delivery.timeout.ms`: a record not acknowledged this long after it was sent fails.
    public var deliveryTimeout: Duration

    public init(
        acks: Acks = .all,
        compression: CompressionCodec = .none,
        linger: Duration = .milliseconds(5),
        batchSize: Int = 64 * 1024,
        bufferMemory: Int = 64 * 1024 * 1024,
        maxRequestSize: Int = 1024 * 1024,
        maxInFlightRequestsPerConnection: Int = 5,
        idempotence: Bool = false,
        retries: Int = 10,
        retryBackoff: Duration = .milliseconds(100),
        deliveryTimeout: Duration = .seconds(120)
    ) {
        self.acks = acks
        self.compression = compression
        self.linger = linger
        self.batchSize = batchSize
        self.bufferMemory = bufferMemory
        self.maxRequestSize = maxRequestSize
        self.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection
        self.idempotence = idempotence
        self.retries = retries
        self.retryBackoff = retryBackoff
        self.deliveryTimeout = deliveryTimeout
    }

    /// Checks the combination before anything is sent.
    func validate() throws {
        guard batchSize > 0, bufferMemory >= batchSize, maxRequestSize > 0, maxInFlightRequestsPerConnection > 0,
              retries >= 0 else {
            throw KafkaClientError(.invalidArgument, "batch size, buffer memory, request size and in-flight limit must be positive")
        }
        if idempotence {
            guard acks == .all else {
                throw KafkaClientError(.invalidArgument, "idempotence needs acks=all")
            }
            guard maxInFlightRequestsPerConnection <= 5 else {
                throw KafkaClientError(.invalidArgument, "idempotence allows at most 5 requests in flight per connection")
            }
        }
        if compression != .none {
            do {
                var probe = ByteBufferAllocator().buffer(capacity: 8)
                probe.writeString("probe")
                _ = try compression.compress(probe)
            } catch {
                throw KafkaClientError(.invalidArgument, "compression '\(compression)' is not available: \(error)")
            }
        }
    }
}

import NIOCore
