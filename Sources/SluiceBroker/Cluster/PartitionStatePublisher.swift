import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceStorage

/// Delivers this broker's partition changes to the registered ``PartitionStateListener``s, on a
/// serial queue of its own, in image order.
///
/// Delivery starts only once the broker has caught up with the metadata log (``start()``, called
/// when its own registration is in the image): before that an image may be missing topics, and a
/// listener that deleted "stray" logs against it would lose data.
final class PartitionStatePublisher: Sendable {
    private struct State {
        var listeners: [any PartitionStateListener] = []
        var delivered = MetadataImage()
        var latest = MetadataImage()
        /// What changed between `delivered` and `latest` (deltas of images published meanwhile
        /// merged), so that a delivery looks only at changed partitions.
        var undelivered = MetadataDelta()
        var started = false
        /// The first delivery after ``start()`` (the whole image) has been made: every local
        /// partition's log is open.
        var firstDelivered = false
    }

    private let broker: Int32
    /// The broker's configuration, with the image's dynamic broker configs on top: topics' log
    /// defaults follow dynamic changes of `log.retention.ms` and the like.
    private let brokerConfig: BrokerConfigInForce
    private let logger: Logger
    private let queue: DispatchQueue
    private let state = NIOLockedValueBox(State())

    init(broker: Int32, config: BrokerConfig, logger: Logger) {
        self.broker = broker
        self.brokerConfig = BrokerConfigInForce(base: config)
        self.logger = logger
        self.queue = DispatchQueue(label: "sluice.metadata.publisher.\(broker)")
    }

    /// Adds a listener; it is called after the ones added before it.
    func add(_ listener: any PartitionStateListener) {
        state.withLockedValue { $0.listeners.append(listener) }
    }

    /// A new image; `delta` is what changed since the previously published one.
    func publish(_ image: MetadataImage, delta: MetadataDelta) {
        let started = state.withLockedValue { state -> Bool in
            state.latest = image
            state.undelivered.merge(delta)
            return state.started
        }
        if started { queue.async { [self] in deliverLatest() } }
    }

    /// Starts delivering (the first delta compares the latest image with an empty one).
    func start() {
        let first = state.withLockedValue { state -> Bool in
            defer { state.started = true }
            if !state.started { state.undelivered = .full }
            return !state.started
        }
        if first { queue.async { [self] in deliverLatest() } }
    }

    /// Whether the listeners have been given the whole image once since ``start()`` (the broker's
    /// partition logs are open and recovered for the image it caught up with).
    var hasDeliveredFirstImage: Bool { state.withLockedValue { $0.firstDelivered } }

    /// Completes (on `loop`) once everything published so far has been delivered: a job queued
    /// behind the deliveries already queued. Nothing waits on a thread meanwhile — listeners may
    /// take a while (creating or deleting logs), and the caller may be an event loop.
    func flushed(on loop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        queue.async { promise.succeed(()) }
        return promise.futureResult
    }

    private func deliverLatest() {
        defer { state.withLockedValue { $0.firstDelivered = true } }
        let (previous, image, delta, listeners) = state.withLockedValue { state in
            defer {
                state.delivered = state.latest
                state.undelivered = MetadataDelta()
            }
            return (state.delivered, state.latest, state.undelivered, state.listeners)
        }
        guard !delta.isEmpty else { return }
        // In time proportional to the change: only the partitions `delta` names are compared.
        let logDefaults = brokerConfig.config(for: image).logDefaults
        // Dynamic broker configs changed: every local partition whose topic has no override of
        // the changed default gets its new config (found by comparing all of them).
        let defaultsChanged = delta.brokerConfigsChanged
            && brokerConfig.base.inForce(on: broker, image: previous).logDefaults != logDefaults
        let changes = LocalPartitionDeltaBuilder.changes(from: previous, to: image, delta: delta, broker: broker,
                                                         logDefaults: logDefaults, logDefaultsChanged: defaultsChanged)
        guard !changes.isEmpty else { return }
        logger.debug("partition changes: \(changes.map(\.description).joined(separator: "; "))")
        let local = LocalPartitionDelta(image: image, previous: previous, changes: changes)
        for listener in listeners { listener.partitionsChanged(local) }
    }
}
