import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Sends the leaders' ISR changes to the active controller (AlterPartition, API 56), one request
/// at a time, as the engine's ``AlterPartitionQueue`` batches them; applies the answers; retries
/// after a pause when a request fails as a whole.
final class AlterPartitionSender: Sendable {
    /// v3 carries each new ISR member's broker epoch (KIP-903) and topic ids.
    static let version: Int16 = 3

    private struct State {
        var sending = false
        var kicked = false
        var timer: Scheduled<Void>?
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

    /// The queue has something: send it unless a request is out (its answer sends the rest).
    func kick() {
        let start: Bool = state.withLockedValue { state in
            guard !state.stopped else { return false }
            if state.sending {
                state.kicked = true
                return false
            }
            state.sending = true
            state.timer?.cancel()
            state.timer = nil
            return true
        }
        if start { sendNext() }
    }

    func shutdown() {
        state.withLockedValue { state in
            state.stopped = true
            state.timer?.cancel()
            state.timer = nil
        }
    }

    private func sendNext() {
        state.withLockedValue { $0.kicked = false }
        let now = ReplicaManager.nowMs()
        guard let (id, request) = engine.nextAlterPartition(now: now) else { return finish(now: now) }
        let timeoutMs = engine.config.socketTimeoutMs
        Task { [self] in
            let result: Result<AlterPartitionResponse, any Error>
            do {
                result = .success(try await peers.alterPartition(request, version: Self.version, timeoutMs: timeoutMs))
            } catch {
                result = .failure(error)
            }
            pool.submit { [self] _ in
                let now = ReplicaManager.nowMs()
                switch result {
                case let .success(response):
                    effects.perform(engine.alterPartitionAnswered(id, response: response, version: Self.version, now: now))
                case let .failure(error):
                    logger.warning("AlterPartition to the controller failed: \(error); trying again")
                    engine.alterPartitionFailed(id, now: now)
                }
                sendNext()
            }
        }
    }

    private func finish(now: Int64) {
        let wake = engine.nextAlterPartitionWake()
        let again: Bool = state.withLockedValue { state in
            if state.kicked && !state.stopped { return true }
            state.sending = false
            if let wake, !state.stopped {
                state.timer = peers.eventLoop.scheduleTask(in: .milliseconds(max(1, wake - now))) { [self] in kick() }
            }
            return false
        }
        if again { sendNext() }
    }
}
