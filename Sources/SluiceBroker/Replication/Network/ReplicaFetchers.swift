import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceStorage

/// The follower side of replication in the broker: one fetch loop per source broker (Kafka's
/// `ReplicaFetcherThread`), each with one Fetch in flight carrying every partition this node
/// follows there. The decisions (what to fetch, what to do with the answer) are the engine's;
/// this runs them: requests over the peers' replica-fetch connection, log work on the I/O pool,
/// retries after `replica.fetch.backoff.ms`.
final class ReplicaFetchers: Sendable {
    /// The Fetch version followers send: v12 carries the last fetched epoch and returns the
    /// diverging epoch (KIP-320), with topic names.
    static let fetchVersion: Int16 = 12

    private struct State {
        /// Sources with a fetch cycle under way (a request out, or an answer being applied).
        var running: Set<Int32> = []
        /// Sources kicked while running: look again when the cycle ends.
        var kicked: Set<Int32> = []
        var timers: [Int32: Scheduled<Void>] = [:]
        var stopped = false
    }

    private let engine: BrokerReplicaEngine
    private let peers: any ReplicationPeers
    private let pool: NIOThreadPool
    /// Where the effects of the engine calls go (the owning replica manager, held weakly).
    private let effects: EffectsRelay
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(engine: BrokerReplicaEngine, peers: any ReplicationPeers, pool: NIOThreadPool, effects: EffectsRelay,
         logger: Logger) {
        self.engine = engine
        self.peers = peers
        self.pool = pool
        self.effects = effects
        self.logger = logger
    }

    /// Something may be fetched from `source` (partitions added or resumed): start its loop if idle.
    func kick(_ source: Int32) {
        let start: Bool = state.withLockedValue { state in
            guard !state.stopped else { return false }
            if state.running.contains(source) {
                state.kicked.insert(source)
                return false
            }
            state.running.insert(source)
            state.timers.removeValue(forKey: source)?.cancel()
            return true
        }
        if start { schedule(source) }
    }

    func shutdown() {
        let timers = state.withLockedValue { state in
            state.stopped = true
            defer { state.timers = [:] }
            return Array(state.timers.values)
        }
        for timer in timers { timer.cancel() }
    }

    private func schedule(_ source: Int32) {
        pool.submit { [self] _ in cycle(source) }
    }

    /// One fetch: plan it, send it, apply the answer, and go again (on the I/O pool).
    private func cycle(_ source: Int32) {
        let now = ReplicaManager.nowMs()
        state.withLockedValue { _ = $0.kicked.remove(source) }
        guard !state.withLockedValue({ $0.stopped }), let planned = engine.nextFetch(from: source, now: now) else {
            return idle(source, now: now)
        }
        guard let address = peers.address(of: source) else {
            logger.debug("no address for broker \(source) yet; fetching later")
            engine.fetchFailed(planned.id, from: source, now: now)
            return idle(source, now: now)
        }
        let config = engine.config
        let request = planned.request(replicaId: engine.localId, brokerEpoch: peers.brokerEpoch, config: config)
        let timeout = TimeAmount.milliseconds(config.socketTimeoutMs + Int64(config.fetchWaitMaxMs))
        peers.send(request, version: Self.fetchVersion, to: address, timeout: timeout).whenComplete { [self] result in
            pool.submit { [self] _ in
                let now = ReplicaManager.nowMs()
                switch result {
                case let .success(response):
                    effects.perform(engine.fetchAnswered(planned.id, from: source, response: response, now: now))
                case let .failure(error):
                    logger.debug("fetch from broker \(source) at \(address) failed: \(error)")
                    engine.fetchFailed(planned.id, from: source, now: now)
                }
                cycle(source)
            }
        }
    }

    /// Nothing to send now: end the cycle, or start another if kicked meanwhile; wake up when a
    /// delayed partition may fetch again.
    private func idle(_ source: Int32, now: Int64) {
        let wake = engine.nextFetchWake(from: source, now: now)
        let again: Bool = state.withLockedValue { state in
            if state.kicked.remove(source) != nil && !state.stopped { return true }
            state.running.remove(source)
            if let wake, !state.stopped {
                let delay = TimeAmount.milliseconds(max(1, wake - now))
                state.timers[source] = peers.eventLoop.scheduleTask(in: delay) { [self] in kick(source) }
            }
            return false
        }
        if again { schedule(source) }
    }
}
