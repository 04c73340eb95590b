import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceStorage

/// The cluster metadata as the broker's handlers see it: reads come from this node's replicated
/// ``MetadataImage``; changes (topics, partitions, configs, producer-id blocks) are forwarded to
/// the active controller (``ControllerChannel``; itself when this node is the controller), which
/// commits them to the metadata log, and complete once this node's image shows them.
///
/// Changes return futures and never block a thread while they wait (for the controller, a
/// commit, or this node's image): a controller failover leaves them parked without holding an
/// event loop or the I/O pool, which serve fetches and replication meanwhile.
public final class MetadataManager: Sendable {
    let nodeId: Int32
    let config: BrokerConfig
    /// `config` with the dynamic broker configs of the image on top (``DynamicBrokerConfig``).
    let inForce: BrokerConfigInForce
    let cluster: ClusterNode
    let logger: Logger
    /// The producer-id block and the callers waiting for the next one.
    private let producerIds = NIOLockedValueBox(ProducerIdBlock())
    private let inFlight = NIOLockedValueBox(0)
    /// How long a forwarded change may take (controller failover included).
    static let forwardTimeoutMs: Int64 = 30_000
    /// How long a committed change may take to reach this node's image.
    static let imageTimeout: TimeAmount = .seconds(10)

    init(config: BrokerConfig, cluster: ClusterNode, logger: Logger) {
        self.nodeId = config.nodeId
        self.config = config
        self.inForce = BrokerConfigInForce(base: config)
        self.cluster = cluster
        self.logger = logger
    }

    /// The current metadata image.
    public var snapshot: MetadataImage { cluster.view.image }

    public func topic(_ name: String) -> TopicImage? { cluster.view.image.topics[name] }

    /// This broker's configuration in force: the static one with the dynamic broker configs.
    public var configInForce: BrokerConfig { inForce.config(for: snapshot) }

    /// The effective log config of a topic: its overrides on top of the broker's defaults in force
    /// (static, or changed dynamically).
    public func logConfig(for topic: TopicImage) -> LogConfig {
        let defaults = configInForce.logDefaults
        return (try? LogConfig(overrides: topic.configs, defaults: defaults)) ?? defaults
    }

    /// Changes (and producer-id requests) under way: waiting for the controller or for this node's
    /// image.
    public var changesInFlight: Int { inFlight.withLockedValue { $0 } }

    /// Counts `change` in ``changesInFlight`` until it completes.
    func tracking<T>(_ change: () -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        inFlight.withLockedValue { $0 += 1 }
        let future = change()
        future.whenComplete { [inFlight] _ in inFlight.withLockedValue { $0 -= 1 } }
        return future
    }

    /// Sends `request` to the controller; the future completes (on `loop`) with its answer, or
    /// fails with REQUEST_TIMED_OUT when no controller answered within ``forwardTimeoutMs``.
    func forward<R: KafkaRequest>(_ request: R, version: Int16, on loop: any EventLoop) -> EventLoopFuture<R.Response> {
        cluster.client.sendFuture(request, version: version, timeoutMs: Self.forwardTimeoutMs, on: loop)
    }

    /// Completes once this node's image satisfies `condition` — a change the controller committed
    /// reaches this node with its next metadata fetch — and its partitions have been told (so that
    /// a created partition's leader serves it as soon as we answer). After ``imageTimeout`` it
    /// logs a warning and completes anyway; the caller then looks at the image it has.
    func awaitImage(on loop: any EventLoop, _ condition: @escaping @Sendable (MetadataImage) -> Bool) -> EventLoopFuture<Void> {
        cluster.view.wait(until: condition, timeout: Self.imageTimeout, on: loop).flatMap { [cluster, logger] reached in
            if !reached { logger.warning("a committed metadata change did not reach this node within 10 s") }
            return cluster.publisher.flushed(on: loop)
        }
    }
}

// MARK: Producer ids

/// `[next, end)` of this broker's current block of producer ids, and the callers waiting while
/// the next block is requested (one AllocateProducerIds in flight, whoever asked first sent it).
private struct ProducerIdBlock {
    var next: Int64 = 0
    var end: Int64 = 0
    var requesting = false
    var waiting: [EventLoopPromise<Int64>] = []

    /// Hands out ids of the current block to the waiting callers, in the order they came.
    mutating func serveWaiting() -> [(EventLoopPromise<Int64>, Int64)] {
        var served: [(EventLoopPromise<Int64>, Int64)] = []
        while !waiting.isEmpty && next < end {
            served.append((waiting.removeFirst(), next))
            next += 1
        }
        return served
    }
}

extension MetadataManager {
    /// A producer id never handed out before in this cluster: ids come in blocks from the
    /// controller (AllocateProducerIds), committed to the metadata log before use. Callers that
    /// find the block used up wait (without a thread) for the one request that fetches the next
    /// block; each gets a distinct id from it. Fails with the controller's error, or
    /// REQUEST_TIMED_OUT when no controller answered.
    public func allocateProducerId(on loop: any EventLoop) -> EventLoopFuture<Int64> {
        tracking {
            let promise = loop.makePromise(of: Int64.self)
            let (id, send) = producerIds.withLockedValue { block -> (Int64?, Bool) in
                if block.next < block.end {
                    defer { block.next += 1 }
                    return (block.next, false)
                }
                block.waiting.append(promise)
                defer { block.requesting = true }
                return (nil, !block.requesting)
            }
            if let id {
                promise.succeed(id)
            } else if send {
                requestProducerIdBlock(on: loop)
            }
            return promise.futureResult
        }
    }

    /// Asks the controller for the next block; serves the waiting callers from it (again, when
    /// more callers wait than the block holds), or fails them all.
    private func requestProducerIdBlock(on loop: any EventLoop) {
        var request = AllocateProducerIdsRequest()
        request.brokerId = nodeId
        request.brokerEpoch = cluster.brokerEpoch
        forward(request, version: 0, on: loop).whenComplete { [self] result in
            let block: Result<(start: Int64, length: Int32), any Error>
            switch result {
            case .success(let response) where response.errorCode == 0 && response.producerIdLen > 0:
                block = .success((response.producerIdStart, response.producerIdLen))
            case .success(let response):
                block = .failure(ApiError(ErrorCode(response.errorCode), "the controller gave no producer ids"))
            case .failure(let error):
                block = .failure(error)
            }
            let (served, failed, again) = producerIds.withLockedValue { state in
                switch block {
                case .success(let block):
                    state.next = block.start
                    state.end = block.start + Int64(block.length)
                    let served = state.serveWaiting()
                    state.requesting = !state.waiting.isEmpty
                    return (served, [EventLoopPromise<Int64>](), state.requesting)
                case .failure:
                    defer { state.waiting = []; state.requesting = false }
                    return ([], state.waiting, false)
                }
            }
            for (promise, id) in served { promise.succeed(id) }
            if case .failure(let error) = block { for promise in failed { promise.fail(error) } }
            if again { requestProducerIdBlock(on: loop) }
        }
    }
}
