/// What a leader knows about one follower of a partition: where its log ends, and when it was
/// last caught up (Kafka's `ReplicaState`).
///
/// "Caught up" means the follower fetched from at least the leader's log end as it was at the
/// follower's previous fetch: a follower that keeps fetching and keeps up stays caught up even
/// while producers keep appending, and one that stops fetching or falls behind stops being
/// caught up from that moment. The ISR check compares `lastCaughtUpTimeMs` with
/// `replica.lag.time.max.ms`.
struct FollowerProgress: Equatable, Sendable {
    let replicaId: Int32
    /// The follower's log end offset (its last fetch offset); -1 until it fetches from this leader.
    private(set) var logEndOffset: Int64 = -1
    private(set) var logStartOffset: Int64 = -1
    private(set) var lastCaughtUpTimeMs: Int64 = 0
    /// The leader's log end offset at the follower's previous fetch.
    private(set) var lastFetchLeaderLogEndOffset: Int64 = -1
    private(set) var lastFetchTimeMs: Int64 = 0
    /// The follower's broker epoch from its last fetch (-1 when it did not send one).
    private(set) var brokerEpoch: Int64 = -1

    init(replicaId: Int32) {
        self.replicaId = replicaId
    }

    /// The state of a follower when this node becomes leader: its position is unknown, and an
    /// in-sync follower is taken as caught up now (so the new leader does not shrink the ISR
    /// before followers had a chance to fetch).
    static func reset(replicaId: Int32, now: Int64, leaderEndOffset: Int64, inSync: Bool) -> FollowerProgress {
        var progress = FollowerProgress(replicaId: replicaId)
        if inSync {
            progress.lastCaughtUpTimeMs = now
            progress.lastFetchLeaderLogEndOffset = leaderEndOffset
            progress.lastFetchTimeMs = now
        }
        return progress
    }

    /// Records a fetch the leader served (not one that found divergence or failed).
    mutating func recordFetch(fetchOffset: Int64, logStartOffset: Int64, brokerEpoch: Int64, now: Int64,
                              leaderEndOffset: Int64) {
        if fetchOffset >= leaderEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, now)
        } else if fetchOffset >= lastFetchLeaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, lastFetchTimeMs)
        }
        self.logEndOffset = fetchOffset
        self.logStartOffset = logStartOffset
        self.brokerEpoch = brokerEpoch
        lastFetchLeaderLogEndOffset = leaderEndOffset
        lastFetchTimeMs = now
    }

    /// Whether the follower counts as in sync: it has the leader's whole log, or it was caught up
    /// less than `maxLagMs` ago.
    func isCaughtUp(leaderEndOffset: Int64, now: Int64, maxLagMs: Int64) -> Bool {
        logEndOffset == leaderEndOffset || now - lastCaughtUpTimeMs <= maxLagMs
    }
}
