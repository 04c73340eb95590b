import KafkaProtocol
import SluiceBase

/// One follower fetcher's state: the partitions this node fetches from one source broker, the
/// fetch in flight, and back-off (Kafka's `AbstractFetcherThread` without the thread).
///
/// One fetch at a time carries every partition that may fetch; each answered partition is
/// checked against what the request said (same leader epoch, same fetch offset) before its data
/// is used, so an answer that crossed a leader change or a truncation is dropped.
struct ReplicaFetchSession: Sendable {
    let sourceBroker: Int32
    private(set) var partitions: [TopicPartition: FollowerFetchState] = [:]
    private(set) var inFlight: PlannedFetch?
    /// No fetch before this time (the last one failed as a whole: connection, timeout).
    private(set) var backoffUntil: Int64 = 0

    init(sourceBroker: Int32) {
        self.sourceBroker = sourceBroker
    }

    var isEmpty: Bool { partitions.isEmpty }

    /// Starts (or restarts) fetching `tp` from this broker at `leaderEpoch`.
    mutating func add(_ tp: TopicPartition, topicId: KafkaUUID, leaderEpoch: Int32) {
        partitions[tp] = FollowerFetchState(topicId: topicId, leaderId: sourceBroker, leaderEpoch: leaderEpoch)
    }

    mutating func remove(_ tp: TopicPartition) {
        partitions[tp] = nil
    }

    /// The next fetch, when none is in flight and some partition may fetch. `position` reads a
    /// partition's log (nil: the log is gone; the partition is skipped). `id` must be unique
    /// among the fetches of this node (sessions come and go; an old answer must never match).
    mutating func nextFetch(id: UInt64, now: Int64, position: (TopicPartition) -> FetchPosition?) -> PlannedFetch? {
        guard inFlight == nil, now >= backoffUntil else { return nil }
        var planned: [PlannedFetch.Partition] = []
        for (tp, state) in partitions.sorted(by: { $0.key < $1.key }) where state.canFetch(now: now) {
            guard let at = position(tp) else { continue }
            planned.append(.init(topicPartition: tp, topicId: state.topicId, leaderEpoch: state.leaderEpoch, position: at))
        }
        guard !planned.isEmpty else { return nil }
        let fetch = PlannedFetch(id: id, sourceBroker: sourceBroker, partitions: planned)
        inFlight = fetch
        return fetch
    }

    /// The answer to fetch `id` arrived: returns what was asked, to check each partition against.
    mutating func answered(_ id: UInt64) -> PlannedFetch? {
        guard let fetch = inFlight, fetch.id == id else { return nil }
        inFlight = nil
        return fetch
    }

    /// Fetch `id` failed as a whole: back off before the next one.
    mutating func failed(_ id: UInt64, now: Int64, backoffMs: Int64) {
        guard inFlight?.id == id else { return }
        inFlight = nil
        backoffUntil = now + backoffMs
    }

    /// Whether `tp` still fetches at the epoch and offset a request was built with.
    func isCurrent(_ partition: PlannedFetch.Partition) -> Bool {
        guard let state = partitions[partition.topicPartition] else { return false }
        return state.leaderEpoch == partition.leaderEpoch && state.stoppedBy == nil
    }

    mutating func delay(_ tp: TopicPartition, until: Int64) {
        partitions[tp]?.delayedUntil = until
    }

    mutating func stop(_ tp: TopicPartition, because error: ErrorCode) {
        partitions[tp]?.stoppedBy = error
    }

    /// When something may next be fetched, if nothing can be now (for the driver's timer).
    func nextWakeTime(now: Int64) -> Int64? {
        guard inFlight == nil else { return nil }
        let waiting = partitions.values.filter { $0.stoppedBy == nil }.map(\.delayedUntil)
        guard let earliest = waiting.min() else { return nil }
        return max(earliest, backoffUntil)
    }
}

/// A fetch request as planned from the follower's logs.
struct PlannedFetch: Sendable, Equatable {
    struct Partition: Sendable, Equatable {
        var topicPartition: TopicPartition
        var topicId: KafkaUUID
        var leaderEpoch: Int32
        var position: FetchPosition
    }

    var id: UInt64
    var sourceBroker: Int32
    var partitions: [Partition]

    /// The Fetch request (v12+ layout: topic names, last fetched epochs) a follower sends.
    func request(replicaId: Int32, brokerEpoch: Int64, config: ReplicationConfig) -> FetchRequest {
        var request = FetchRequest()
        request.replicaId = replicaId
        request.replicaState = .init(replicaId: replicaId, replicaEpoch: brokerEpoch)
        request.maxWaitMs = config.fetchWaitMaxMs
        request.minBytes = config.fetchMinBytes
        request.maxBytes = config.fetchResponseMaxBytes
        request.isolationLevel = 0
        request.sessionId = 0
        request.sessionEpoch = -1
        var byTopic: [String: Int] = [:]
        for p in partitions {
            let fetchPartition = FetchRequest.FetchPartition(
                partition: p.topicPartition.partition, currentLeaderEpoch: p.leaderEpoch,
                fetchOffset: p.position.fetchOffset, lastFetchedEpoch: p.position.lastFetchedEpoch,
                logStartOffset: p.position.logStartOffset, partitionMaxBytes: config.fetchMaxBytes)
            if let index = byTopic[p.topicPartition.topic] {
                request.topics[index].partitions.append(fetchPartition)
            } else {
                byTopic[p.topicPartition.topic] = request.topics.count
                request.topics.append(.init(topic: p.topicPartition.topic, topicId: p.topicId, partitions: [fetchPartition]))
            }
        }
        return request
    }
}
