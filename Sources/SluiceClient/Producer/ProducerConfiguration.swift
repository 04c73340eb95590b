import KafkaProtocol

/// Producer settings, named after Kafka's producer configs, with Kafka's defaults (since 3.0:
/// `acks=all` and idempotence on, so that retries never duplicate a record).
public struct ProducerConfiguration: Sendable {
    /// `acks` (default `all`).
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
    /// `enable.idempotence` as set; nil means Kafka's default (see ``idempotence``).
    public var enableIdempotence: Bool?
    /// `retries`: attempts after the first for a batch that failed with a retriable error. Kafka's
    /// default, unbounded: ``deliveryTimeout`` is what ends the retries.
    public var retries: Int
    /// `retry.backoff.ms`.
    public var retryBackoff: Duration
    /// `delivery.timeout.ms`: a record not acknowledged this long after it was sent fails.
    public var deliveryTimeout: Duration
    /// `max.block.ms`: how long `send` and `enqueue` wait for a topic to appear in the cluster's
    /// metadata (created a moment ago, or being auto-created) before they fail with
    /// UNKNOWN_TOPIC_OR_PARTITION.
    public var maxBlock: Duration

    public init(
        acks: Acks = .all,
        compression: CompressionCodec = .none,
        linger: Duration = .milliseconds(5),
        batchSize: Int = 64 * 1024,
        bufferMemory: Int = 64 * 1024 * 1024,
        maxRequestSize: Int = 1024 * 1024,
        maxInFlightRequestsPerConnection: Int = 5,
        idempotence: Bool? = nil,
        retries: Int = Int(Int32.max),
        retryBackoff: Duration = .milliseconds(100),
        deliveryTimeout: Duration = .seconds(120),
        maxBlock: Duration = .seconds(60)
    ) {
        self.acks = acks
        self.compression = compression
        self.linger = linger
        self.batchSize = batchSize
        self.bufferMemory = bufferMemory
        self.maxRequestSize = maxRequestSize
        self.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection
        self.enableIdempotence = idempotence
        self.retries = retries
        self.retryBackoff = retryBackoff
        self.deliveryTimeout = deliveryTimeout
        self.maxBlock = maxBlock
    }

    /// `enable.idempotence`: InitProducerId, per-partition sequence numbers, retries that neither
    /// duplicate nor reorder. Needs `acks=all` and at most 5 requests in flight. Unless set
    /// (``enableIdempotence``), it is on exactly when those hold, as in Kafka since 3.0: `acks=1`
    /// alone turns it off, while `acks=1` with idempotence asked for is refused.
    public var idempotence: Bool {
        get { enableIdempotence ?? (acks == .all && maxInFlightRequestsPerConnection <= 5) }
        set { enableIdempotence = newValue }
    }

    /// Checks the combination before anything is sent.
    func validate() throws {
        guard batchSize > 0, bufferMemory >= batchSize, maxRequestSize > 0, maxInFlightRequestsPerConnection > 0,
              retries >= 0, maxBlock >= .zero else {
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
