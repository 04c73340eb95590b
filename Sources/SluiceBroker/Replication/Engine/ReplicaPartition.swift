import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceStorage

/// One partition on this broker: its log and its replication role (leader, follower, or none),
/// with the leader's pure state (``LeaderState``) and its produce waiters.
///
/// Thread-safe: every method takes the partition's lock, and may block on the log's disk I/O
/// while holding it (role changes, appends, replica fetches and follower appends are serialised
/// per partition, as Kafka's `leaderIsrUpdateLock` does). Lock order: partition, then log. No
/// NIO here: the simulation drives the same object single-threaded with its own clock.
final class ReplicaPartition: @unchecked Sendable {
    // @unchecked Sendable: `role`, `latestState`, `waiters` and `uncommitted` are only touched
    // while `lock` is held; the `let`s are immutable and Sendable.

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
    var waiters = ProduceWaiters()
    var uncommitted = UncommittedBytes()

    init(topicPartition: TopicPartition, log: any PartitionLog, localId: Int32, config: ReplicationConfig) {
        self.topicPartition = topicPartition
        self.log = log
        self.localId = localId
        self.config = config
    }

    /// What the partition looks like from outside (tests, metrics, the simulation's checks).
    struct Status: Sendable, Equatable {
        var isLeader: Bool
        var leaderEpoch: Int32
        var leaderId: Int32
        var isr: [Int32]
        var maximalIsr: [Int32]
        var highWatermark: Int64
        var logEndOffset: Int64
    }

    var status: Status {
        lock.withLock {
            switch role {
            case let .leader(leader):
                return Status(isLeader: true, leaderEpoch: leader.leaderEpoch, leaderId: localId, isr: leader.isr,
                              maximalIsr: leader.maximalIsr, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset)
            case let .follower(leaderId, epoch):
                return Status(isLeader: false, leaderEpoch: epoch, leaderId: leaderId, isr: latestState?.isr ?? [],
                              maximalIsr: latestState?.isr ?? [], highWatermark: log.highWatermark,
                              logEndOffset: log.logEndOffset)
            case .none:
                return Status(isLeader: false, leaderEpoch: latestState?.leaderEpoch ?? -1, leaderId: -1, isr: [],
                              maximalIsr: [], highWatermark: log.highWatermark, logEndOffset: log.logEndOffset)
            }
        }
    }

    var isLeader: Bool {
        lock.withLock { if case .leader = role { return true } else { return false } }
    }

    /// The leader epoch this partition knows (from the metadata), -1 before any.
    var knownLeaderEpoch: Int32 { lock.withLock { latestState?.leaderEpoch ?? -1 } }

    // MARK: Role changes

    /// Whether `state` is older than what was applied (a delayed update): then it is ignored.
    func isStale(_ state: PartitionState) -> Bool {
        guard let latest = latestState else { return false }
        if state.leaderEpoch != latest.leaderEpoch { return state.leaderEpoch < latest.leaderEpoch }
        return state.partitionEpoch < latest.partitionEpoch
    }

    /// Applies a partition state naming this node the leader: a new leadership starts at the log
    /// end (the epoch's start offset); the same epoch again updates the ISR and replicas.
    func makeLeader(_ state: PartitionState, now: Int64) -> ReplicationEffects {
        lock.withLock {
            guard !isStale(state), state != latestState else { return ReplicationEffects() }
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
            return applyLocked(update, now: now)
        }
    }

    /// Applies a partition state naming another node (or none, -1) the leader. Produce requests
    /// waiting here fail with NOT_LEADER_OR_FOLLOWER. Returns nil when `state` is stale or already
    /// applied.
    func makeFollower(_ state: PartitionState) -> ReplicationEffects? {
        lock.withLock {
            guard !isStale(state), state != latestState else { return nil }
            latestState = state
            role = .follower(leaderId: state.leader, leaderEpoch: state.leaderEpoch)
            var effects = ReplicationEffects()
            effects.completions = waiters.failAll(.notLeaderOrFollower)
            return effects
        }
    }

    /// This node stops being a replica (or shuts the partition down).
    func stop() -> ReplicationEffects {
        lock.withLock {
            role = .none
            var effects = ReplicationEffects()
            effects.completions = waiters.failAll(.notLeaderOrFollower)
            return effects
        }
    }

    // MARK: Leader bookkeeping

    /// The periodic ISR check (leaders only): proposes dropping followers that lag.
    func checkIsr(now: Int64) -> ReplicationEffects {
        lock.withLock {
            guard case var .leader(leader) = role else { return ReplicationEffects() }
            let proposal = leader.checkIsr(logEndOffset: log.logEndOffset, now: now)
            role = .leader(leader)
            return applyLocked(LeaderUpdate(proposal: proposal), now: now)
        }
    }

    /// The controller answered an ISR change this partition proposed.
    func alterPartitionAnswered(_ item: AlterPartitionQueue.Item, result: AlterPartitionResult, now: Int64)
        -> (effects: ReplicationEffects, retry: Bool) {
        lock.withLock {
            guard case var .leader(leader) = role else { return (ReplicationEffects(), false) }
            let update = leader.alterPartitionAnswered(item.proposal, result: result, logEndOffset: log.logEndOffset, now: now)
            role = .leader(leader)
            return (applyLocked(update, now: now), update.retryProposal != nil)
        }
    }

    /// Carries out a leader update with the lock held: the log's high watermark, completed
    /// produce requests, the AlterPartition to send.
    func applyLocked(_ update: LeaderUpdate, now: Int64) -> ReplicationEffects {
        var effects = ReplicationEffects()
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
        return effects
    }
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
