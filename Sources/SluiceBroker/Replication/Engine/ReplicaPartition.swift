import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceBase
import SluiceStorage

/// One partition on this broker: its log and its replication role (leader, follower, or none),
/// with the leader's pure state (``LeaderState``), its queue of appends and its produce waiters.
///
/// Thread-safe: every method takes the partition's lock, and may block on the log's disk I/O
/// while holding it (role changes, appends, replica fetches and follower appends are serialised
/// per partition, as Kafka's `leaderIsrUpdateLock` does). This lock is the partition's one
/// serialisation point: a leader append, the `acks=all` waiter it registers and the high
/// watermark that completes waiters all change under it. Lock order: partition, then log. The
/// append queue (``enqueue(_:)``) has its own short lock, never held across I/O, so that event
/// loops can queue appends. No NIO here: the simulation drives the same object single-threaded
/// with its own clock; `Token` is the driver's handle on a produce request (see
/// ``ProduceWaiters``).
final class ReplicaPartition<Token: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `role`, `latestState`, `waiters` and `uncommitted` are only touched
    // while `lock` is held; `appendQueue` and `leadership` are lock-protected boxes; the `let`s
    // are immutable and Sendable.

    typealias Effects = ReplicationEffects<Token>

    enum Role: Sendable {
        case none
        case leader(LeaderState)
        case follower(leaderId: Int32, leaderEpoch: Int32)
    }

    let topicPartition: TopicPartition
    let log: any PartitionLog
    let localId: Int32
    let config: ReplicationConfig
    let lock = NIOLock()
    var role: Role = .none
    /// The newest partition state applied (stale ones are ignored).
    var latestState: PartitionState?
    var waiters: ProduceWaiters<Token>
    var uncommitted = UncommittedBytes()
    /// Appends in submission order, waiting for the one appender that runs them (see
    /// `ReplicaPartition+AppendQueue`).
    let appendQueue = NIOLockedValueBox(AppendQueue<Token>())
    /// See ``Leadership``.
    let leadership = NIOLockedValueBox(Leadership())

    init(topicPartition: TopicPartition, log: any PartitionLog, localId: Int32, config: ReplicationConfig) {
        self.topicPartition = topicPartition
        self.log = log
        self.localId = localId
        self.config = config
        self.waiters = ProduceWaiters(topicPartition)
    }

    var status: ReplicaStatus {
        lock.withLock {
            switch role {
            case let .leader(leader):
                return ReplicaStatus(isLeader: true, leaderEpoch: leader.leaderEpoch, leaderId: localId, isr: leader.isr,
                                     maximalIsr: leader.maximalIsr, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset)
            case let .follower(leaderId, epoch):
                return ReplicaStatus(isLeader: false, leaderEpoch: epoch, leaderId: leaderId, isr: latestState?.isr ?? [],
                                     maximalIsr: latestState?.isr ?? [], highWatermark: log.highWatermark,
                                     logEndOffset: log.logEndOffset)
            case .none:
                return ReplicaStatus(isLeader: false, leaderEpoch: latestState?.leaderEpoch ?? -1, leaderId: -1, isr: [],
                                     maximalIsr: [], highWatermark: log.highWatermark, logEndOffset: log.logEndOffset)
            }
        }
    }

    /// The leader epoch this partition knows and whether it leads at it, as the last role change
    /// left them; readable without the partition's lock (which appends hold across disk I/O), so
    /// that request handlers can check a client's epoch from an event loop
    /// (``leaderCheck(currentLeaderEpoch:)``).
    struct Leadership: Sendable, Equatable {
        var knownEpoch: Int32 = -1
        var leads = false
        /// Leading, with an ISR shrink waiting for the controller (``LeaderState/isShrinkingIsr``).
        var shrinkingIsr = false
    }

    /// Publishes ``Leadership`` after a role or ISR change; called with the lock held.
    func publishLeadershipLocked() {
        var now = Leadership(knownEpoch: latestState?.leaderEpoch ?? -1, leads: false)
        if case let .leader(leader) = role {
            now.leads = true
            now.shrinkingIsr = leader.isShrinkingIsr
        }
        leadership.withLockedValue { if $0 != now { $0 = now } }
    }

    /// Whether this replica leads with followers it wants out of the ISR and no answer from the
    /// controller yet; without the partition's lock (callable from an event loop).
    var isLeaderShrinkingIsr: Bool { leadership.withLockedValue { $0.leads && $0.shrinkingIsr } }

    // MARK: Role changes

    /// Whether `state` is older than what was applied (a delayed update): then it is ignored.
    func isStale(_ state: PartitionState) -> Bool {
        guard let latest = latestState else { return false }
        if state.leaderEpoch != latest.leaderEpoch { return state.leaderEpoch < latest.leaderEpoch }
        return state.partitionEpoch < latest.partitionEpoch
    }

    /// Applies a partition state naming this node the leader: a new leadership starts at the log
    /// end (the epoch's start offset); the same epoch again updates the ISR and replicas.
    func makeLeader(_ state: PartitionState, now: Int64) -> Effects {
        lock.withLock {
            guard !isStale(state), state != latestState else { return Effects() }
            latestState = state
            let end = log.logEndOffset
            var update: LeaderUpdate
            if case var .leader(leader) = role, leader.leaderEpoch == state.leaderEpoch {
                update = leader.apply(state, logEndOffset: end, now: now)
                role = .leader(leader)
            } else {
                var leader = LeaderState(state: state, localId: localId, logEndOffset: end,
                                         highWatermark: log.highWatermark, now: now, config: config)
                update = LeaderUpdate(newHighWatermark: leader.maybeAdvanceHighWatermark(logEndOffset: end, now: now))
                update.isrChanged = true
                role = .leader(leader)
                uncommitted = UncommittedBytes()
            }
            publishLeadershipLocked()
            return applyLocked(update, now: now)
        }
    }

    /// Applies a partition state naming another node (or none, -1) the leader. Produce requests
    /// waiting here fail with NOT_LEADER_OR_FOLLOWER. Returns nil when `state` is stale or already
    /// applied.
    func makeFollower(_ state: PartitionState) -> Effects? {
        lock.withLock {
            guard !isStale(state), state != latestState else { return nil }
            latestState = state
            role = .follower(leaderId: state.leader, leaderEpoch: state.leaderEpoch)
            publishLeadershipLocked()
            var effects = Effects()
            effects.completions = waiters.failAll(ApiError(.notLeaderOrFollower, state.leader >= 0
                ? "Leadership of \(topicPartition) moved to broker \(state.leader) while waiting."
                : "\(topicPartition) lost its leader while waiting."))
            return effects
        }
    }

    /// This node stops being a replica (or shuts the partition down).
    func stop() -> Effects {
        lock.withLock {
            role = .none
            publishLeadershipLocked()
            var effects = Effects()
            effects.completions = waiters.failAll(ApiError(.notLeaderOrFollower, "This broker stopped serving \(topicPartition)."))
            return effects
        }
    }

    // MARK: Leader bookkeeping

    /// The periodic ISR check (leaders only): proposes dropping followers that lag.
    func checkIsr(now: Int64) -> Effects {
        lock.withLock {
            guard case var .leader(leader) = role else { return Effects() }
            let proposal = leader.checkIsr(logEndOffset: log.logEndOffset, now: now)
            role = .leader(leader)
            return applyLocked(LeaderUpdate(proposal: proposal), now: now)
        }
    }

    /// The controller answered an ISR change this partition proposed.
    func alterPartitionAnswered(_ item: AlterPartitionQueue.Item, result: AlterPartitionResult, now: Int64)
        -> (effects: Effects, retry: Bool) {
        lock.withLock {
            guard case var .leader(leader) = role else { return (Effects(), false) }
            let update = leader.alterPartitionAnswered(item.proposal, result: result, logEndOffset: log.logEndOffset, now: now)
            role = .leader(leader)
            return (applyLocked(update, now: now), update.retryProposal != nil)
        }
    }

    /// Fails every `acks=all` waiter with `error` (the broker is shutting down).
    func failWaiters(_ error: ApiError) -> [ProduceCompletion<Token>] {
        lock.withLock { waiters.failAll(error) }
    }

    /// Carries out a leader update with the lock held: the log's high watermark, completed
    /// produce requests, the AlterPartition to send.
    func applyLocked(_ update: LeaderUpdate, now: Int64) -> Effects {
        var effects = Effects()
        guard case let .leader(leader) = role else { return effects }
        if let hw = update.newHighWatermark {
            log.updateHighWatermark(hw)
            effects.committed.append((topicPartition, max(1, uncommitted.take(upTo: hw))))
        }
        if update.newHighWatermark != nil || update.isrChanged {
            let minIsr = Int(log.config.minInsyncReplicas)
            effects.completions = waiters.complete(highWatermark: leader.highWatermark,
                                                   maximalIsrSize: leader.maximalIsr.count, minInsyncReplicas: minIsr)
        }
        if let proposal = update.proposal {
            // AlterPartition v3 names each member's broker epoch (from its fetches), so that the
            // controller refuses a member that restarted since (KIP-903).
            var epochs: [Int32: Int64] = [:]
            for id in proposal.isr { if let follower = leader.followers[id] { epochs[id] = follower.brokerEpoch } }
            effects.proposals.append(AlterPartitionQueue.Item(topicPartition: topicPartition,
                                                              topicId: latestState?.topicId ?? .zero, proposal: proposal,
                                                              brokerEpochs: epochs))
        }
        // A proposal made or answered here changes whether the ISR is shrinking.
        publishLeadershipLocked()
        return effects
    }
}

/// What a partition looks like from outside (tests, metrics, the simulation's checks).
struct ReplicaStatus: Sendable, Equatable {
    var isLeader: Bool
    var leaderEpoch: Int32
    var leaderId: Int32
    var isr: [Int32]
    var maximalIsr: [Int32]
    var highWatermark: Int64
    var logEndOffset: Int64
}

/// Bytes appended by the leader but not yet below the high watermark, to tell waiting consumer
/// fetches how much became visible when the watermark moves.
struct UncommittedBytes: Sendable {
    private var entries: [(endOffset: Int64, bytes: Int)] = []
    private var head = 0

    mutating func appended(endOffset: Int64, bytes: Int) {
        entries.append((endOffset, bytes))
    }

    /// The bytes of the appends that end at or below `highWatermark`, forgotten once counted.
    mutating func take(upTo highWatermark: Int64) -> Int {
        var total = 0
        while head < entries.count, entries[head].endOffset <= highWatermark {
            total += entries[head].bytes
            head += 1
        }
        if head > 256 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return total
    }
}
