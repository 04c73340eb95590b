import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceStorage

/// The cluster metadata as the broker's handlers see it: reads come from this node's replicated
/// ``MetadataImage``; changes (topics, partitions, configs, producer-id blocks) are forwarded to
/// the active controller (``ControllerChannel``; itself when this node is the controller), which
/// commits them to the metadata log, and return once this node's image shows them.
///
/// Changes block (a round trip to the controller and a commit): call them from the I/O thread
/// pool, never from an event loop.
public final class MetadataManager: Sendable {
    let nodeId: Int32
    let config: BrokerConfig
    let cluster: ClusterNode
    let logger: Logger
    /// Producer ids this broker may hand out: `[next, end)` of its current block.
    private let producerIds = NIOLockedValueBox<(next: Int64, end: Int64)>((0, 0))
    private let producerIdLock = NIOLock()
    private let inFlight = NIOLockedValueBox(0)
    /// Changes (and producer-id requests) waiting for the controller or for this node's image.
    public var changesInFlight: Int { inFlight.withLockedValue { $0 } }
    func tracking<T>(_ body: () throws -> T) rethrows -> T {
        inFlight.withLockedValue { $0 += 1 }
        defer { inFlight.withLockedValue { $0 -= 1 } }
        return try body()
    }
    /// How long a forwarded change may take (controller failover included).
    static let forwardTimeoutMs: Int64 = 30_000

    init(config: BrokerConfig, cluster: ClusterNode, logger: Logger) {
        self.nodeId = config.nodeId
        self.config = config
        self.cluster = cluster
        self.logger = logger
    }

    /// The current metadata image.
    public var snapshot: MetadataImage { cluster.view.image }

    public func topic(_ name: String) -> TopicImage? { cluster.view.image.topics[name] }

    /// The effective log config of a topic: its overrides on top of the broker's defaults.
    public func logConfig(for topic: TopicImage) -> LogConfig {
        (try? LogConfig(overrides: topic.configs, defaults: config.logDefaults)) ?? config.logDefaults
    }

    /// Sends `request` to the controller and waits for the answer (blocking).
    func forward<R: KafkaRequest>(_ request: R, version: Int16) throws -> R.Response {
        try cluster.client.sendFuture(request, version: version, timeoutMs: Self.forwardTimeoutMs).wait()
    }

    /// Waits (blocking, up to 10 s) until this node's image satisfies `condition` — a change the
    /// controller committed reaches this node with its next metadata fetch — and its partitions
    /// have been told (so that a created partition's leader serves it as soon as we answer).
    func awaitImage(_ condition: @escaping @Sendable (MetadataImage) -> Bool) {
        let loop = cluster.pool.eventLoop
        let reached = (try? cluster.view.wait(until: condition, timeout: .seconds(10), on: loop).wait()) ?? false
        if !reached { logger.warning("a committed metadata change did not reach this node within 10 s") }
        cluster.publisher.flush()
    }

    // MARK: Producer ids

    /// A producer id never handed out before in this cluster: ids come in blocks from the
    /// controller (AllocateProducerIds), committed to the metadata log before use.
    public func allocateProducerId() throws -> Int64 {
        try tracking { try producerIdLock.withLock {
            let current = producerIds.withLockedValue { $0 }
            if current.next < current.end {
                producerIds.withLockedValue { $0.next += 1 }
                return current.next
            }
            var request = AllocateProducerIdsRequest()
            request.brokerId = nodeId
            request.brokerEpoch = cluster.brokerEpoch
            let response = try forward(request, version: 0)
            guard response.errorCode == 0, response.producerIdLen > 0 else {
                throw ApiError(ErrorCode(response.errorCode), "the controller gave no producer ids")
            }
            producerIds.withLockedValue { $0 = (response.producerIdStart + 1, response.producerIdStart + Int64(response.producerIdLen)) }
            return response.producerIdStart
        } }
    }
}
