import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceBase
import SluiceStorage

/// Every partition replica of one broker and the machinery between them: the follower fetch
/// sessions (one per source broker), and the AlterPartition queue.
///
/// The engine does no networking and reads no clock: its drivers move requests and answers and
/// pass the time. ``ReplicaManager`` drives it with NIO in the broker; the replication
/// simulation drives it with a simulated network and clock. Methods are thread-safe; those that
/// touch logs block on disk, so the broker calls them off the event loops.
final class ReplicaEngine<Token: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `partitions`, `sessions`, `followedFrom`, `alterQueue` and
    // `brokerEpoch` are only touched while `lock` is held. Partition methods (which take the
    // partition's own lock and may do disk I/O) are never called with `lock` held.

    typealias Partition = ReplicaPartition<Token>
    typealias Effects = ReplicationEffects<Token>

    let localId: Int32
    let config: ReplicationConfig
    private let lock = NIOLock()
    private var partitions: [TopicPartition: Partition] = [:]
    private var sessions: [Int32: ReplicaFetchSession] = [:]
    private var followedFrom: [TopicPartition: Int32] = [:]
    private var alterQueue = AlterPartitionQueue()
    private var brokerEpochValue: Int64 = -1
    private var nextFetchId: UInt64 = 1

    init(localId: Int32, config: ReplicationConfig) {
        self.localId = localId
        self.config = config
    }

    /// This broker's epoch from its registration with the controller (-1 without one); sent in
    /// follower fetches and AlterPartition.
    var brokerEpoch: Int64 {
        get { lock.withLock { brokerEpochValue } }
        set { lock.withLock { brokerEpochValue = newValue } }
    }

    func partition(_ tp: TopicPartition) -> Partition? {
        lock.withLock { partitions[tp] }
    }

    var allPartitions: [Partition] {
        lock.withLock { partitions.keys.sorted().map { partitions[$0]! } }
    }

    // MARK: Metadata

    /// Applies one partition's state from the metadata: this node becomes its leader, a follower
    /// of the named leader (fetching from it), or stops replicating it when it is no longer
    /// among the replicas. `log` is the partition's log (the caller creates it when missing).
    func apply(_ state: PartitionState, log: any PartitionLog, now: Int64) -> Effects {
        let tp = state.topicPartition
        let (partition, replaced): (Partition, Partition?) = lock.withLock {
            let existing = partitions[tp]
            if let existing, existing.log === log { return (existing, nil) }
            let created = Partition(topicPartition: tp, log: log, localId: localId, config: config)
            partitions[tp] = created
            return (created, existing)
        }
        // A replica on another log (the partition was deleted and made again) answers what waits
        // or is queued on the old one: NOT_LEADER_OR_FOLLOWER.
        var effects = replaced?.stop() ?? Effects()
        if state.leader == localId {
            effects.merge(partition.makeLeader(state, now: now))
            lock.withLock { leaveSession(tp) }
        } else if state.replicas.contains(localId) || state.addingReplicas.contains(localId) {
            guard let followed = partition.makeFollower(state) else { return effects }
            effects.merge(followed)
            lock.withLock {
                leaveSession(tp)
                if state.leader >= 0 {
                    sessions[state.leader, default: ReplicaFetchSession(sourceBroker: state.leader)]
                        .add(tp, topicId: state.topicId, leaderEpoch: state.leaderEpoch)
                    followedFrom[tp] = state.leader
                    effects.fetchersToKick.insert(state.leader)
                }
            }
        } else {
            effects.merge(stop(tp))
        }
        queueProposals(&effects)
        return effects
    }

    /// Stops replicating `tp` and forgets it (the caller deletes the log if the topic is gone).
    func stop(_ tp: TopicPartition) -> Effects {
        let partition: Partition? = lock.withLock {
            leaveSession(tp)
            alterQueue.forget(tp)
            return partitions.removeValue(forKey: tp)
        }
        return partition?.stop() ?? Effects()
    }

    private func leaveSession(_ tp: TopicPartition) {
        guard let source = followedFrom.removeValue(forKey: tp) else { return }
        sessions[source]?.remove(tp)
        if sessions[source]?.isEmpty == true && sessions[source]?.inFlight == nil { sessions[source] = nil }
    }

    private func queueProposals(_ effects: inout Effects) {
        guard !effects.proposals.isEmpty else { return }
        lock.withLock {
            for item in effects.proposals { alterQueue.enqueue(item) }
        }
        effects.proposals = []
        effects.alterPartitionPending = true
    }

    // MARK: Leader side

    /// The periodic ISR check over every partition this node leads.
    func checkIsr(now: Int64) -> Effects {
        var effects = Effects()
        for partition in allPartitions { effects.merge(partition.checkIsr(now: now)) }
        queueProposals(&effects)
        return effects
    }

    /// Times out `acks=all` waiters whose deadline passed (drivers without per-request timers).
    func expireWaiters(now: Int64) -> [ProduceCompletion<Token>] {
        allPartitions.flatMap { $0.expireWaiters(now: now) }
    }

    /// Carries out a leader's effects that stay inside the engine (queued ISR proposals).
    func absorb(_ effects: inout Effects) {
        queueProposals(&effects)
    }

    // MARK: Follower side

    /// The source brokers this node fetches from.
    var fetchSources: [Int32] {
        lock.withLock { sessions.keys.sorted() }
    }

    /// The next fetch to send to `source`, if one may go now.
    func nextFetch(from source: Int32, now: Int64) -> PlannedFetch? {
        let candidates: [TopicPartition: Partition] = lock.withLock {
            guard let session = sessions[source] else { return [:] }
            var found: [TopicPartition: Partition] = [:]
            for tp in session.partitions.keys { found[tp] = partitions[tp] }
            return found
        }
        // Positions are read outside the engine lock (they take the partitions' locks).
        var positions: [TopicPartition: FetchPosition] = [:]
        for (tp, partition) in candidates { positions[tp] = partition.fetchPosition() }
        return lock.withLock {
            guard let fetch = sessions[source]?.nextFetch(id: nextFetchId, now: now, position: { positions[$0] }) else {
                return nil
            }
            nextFetchId += 1
            return fetch
        }
    }

    /// When `source`'s fetcher should look again, if it has nothing to send now.
    func nextFetchWake(from source: Int32, now: Int64) -> Int64? {
        lock.withLock { sessions[source]?.nextWakeTime(now: now) }
    }

    /// Applies the answer to fetch `id` from `source`.
    func fetchAnswered(_ id: UInt64, from source: Int32, response: FetchResponse, now: Int64) -> Effects {
        let work: [(PlannedFetch.Partition, Partition?)]? = lock.withLock {
            guard let planned = sessions[source]?.answered(id) else { return nil }
            return planned.partitions.map { asked in
                (asked, sessions[source]?.isCurrent(asked) == true ? partitions[asked.topicPartition] : nil)
            }
        }
        var effects = Effects()
        guard let work else { return effects }
        if response.errorCode != 0 {
            lock.withLock { sessions[source]?.failed(id, now: now, backoffMs: config.fetchBackoffMs) }
            return effects
        }
        var answers: [TopicPartition: FetchResponse.PartitionData] = [:]
        for topic in response.responses {
            for p in topic.partitions { answers[TopicPartition(topic.topic, p.partitionIndex)] = p }
        }
        var delayed: [TopicPartition] = []
        var stopped: [(TopicPartition, ErrorCode)] = []
        for (asked, partition) in work {
            guard let partition else { continue }
            guard let answer = answers[asked.topicPartition] else {
                delayed.append(asked.topicPartition)
                continue
            }
            let (result, applied) = partition.applyFetched(asked, from: source, answer: answer, now: now)
            effects.merge(applied)
            switch result {
            case .retryLater: delayed.append(asked.topicPartition)
            case let .stop(code): stopped.append((asked.topicPartition, code))
            case .done, .stale: break
            }
        }
        lock.withLock {
            for tp in delayed { sessions[source]?.delay(tp, until: now + config.fetchBackoffMs) }
            for (tp, code) in stopped { sessions[source]?.stop(tp, because: code) }
            if sessions[source]?.isEmpty == true { sessions[source] = nil }
        }
        return effects
    }

    /// Fetch `id` to `source` failed as a whole (connection, timeout): back off.
    func fetchFailed(_ id: UInt64, from source: Int32, now: Int64) {
        lock.withLock {
            sessions[source]?.failed(id, now: now, backoffMs: config.fetchBackoffMs)
            if sessions[source]?.isEmpty == true { sessions[source] = nil }
        }
    }

    // MARK: AlterPartition

    /// The next AlterPartition request for the controller, if one may go now.
    func nextAlterPartition(now: Int64) -> (id: UInt64, request: AlterPartitionRequest)? {
        lock.withLock {
            guard let batch = alterQueue.next(now: now) else { return nil }
            return (batch.id, AlterPartitionQueue.request(batch.items, brokerId: localId, brokerEpoch: brokerEpochValue))
        }
    }

    /// When the AlterPartition queue should look again (after a retry pause), if it waits.
    func nextAlterPartitionWake() -> Int64? {
        lock.withLock { alterQueue.inFlight == nil && !alterQueue.waiting.isEmpty ? alterQueue.retryAt : nil }
    }

    /// Applies the controller's answer to AlterPartition `id`.
    func alterPartitionAnswered(_ id: UInt64, response: AlterPartitionResponse, version: Int16, now: Int64)
        -> Effects {
        guard let items = lock.withLock({ alterQueue.answered(id) }) else { return Effects() }
        var effects = Effects()
        for (item, result) in AlterPartitionQueue.results(response, for: items, version: version) {
            guard let partition = self.partition(item.topicPartition) else { continue }
            let (applied, retry) = partition.alterPartitionAnswered(item, result: result, now: now)
            effects.merge(applied)
            if retry {
                lock.withLock { alterQueue.retry(item, now: now, retryMs: config.alterPartitionRetryMs) }
                effects.alterPartitionPending = true
            }
        }
        queueProposals(&effects)
        if lock.withLock({ !alterQueue.waiting.isEmpty }) { effects.alterPartitionPending = true }
        return effects
    }

    /// AlterPartition `id` failed as a whole: its items are sent again after a pause.
    func alterPartitionFailed(_ id: UInt64, now: Int64) {
        lock.withLock { alterQueue.failed(id, now: now, retryMs: config.alterPartitionRetryMs) }
    }
}

extension ReplicaEngine {
    /// The fetch sessions in words, for logs and failure reports.
    var fetchSessionsDescription: String {
        lock.withLock {
            sessions.keys.sorted().map { source in
                let session = sessions[source]!
                let parts = session.partitions.keys.sorted().map { tp in
                    let state = session.partitions[tp]!
                    var text = "\(tp)@\(state.leaderEpoch)"
                    if let stopped = state.stoppedBy { text += " stopped by \(stopped)" }
                    if state.delayedUntil > 0 { text += " delayed until \(state.delayedUntil)" }
                    return text
                }
                return "from \(source): [\(parts.joined(separator: ", "))] in flight \(session.inFlight?.id ?? 0) backoff until \(session.backoffUntil)"
            }.joined(separator: "; ")
        }
    }
}
