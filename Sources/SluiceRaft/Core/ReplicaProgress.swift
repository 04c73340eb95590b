/// The leader's record of how far each voter has replicated, and the high watermark that follows.
///
/// A voter's end offset is the fetch offset of its latest valid Fetch in this epoch: a follower
/// persists what it fetched before asking for more, so that offset is durable on the follower.
/// The leader's own end offset is its durable (flushed) end offset, set by the driver's
/// acknowledgement.
struct ReplicaProgress: Sendable {
    private(set) var voters: VoterSet
    private(set) var endOffsets: [Int32: Int64] = [:]
    private(set) var lastFetchTick: [Int32: Int64] = [:]

    init(voters: VoterSet) {
        self.voters = voters
    }

    mutating func recordFetch(replica: Int32, endOffset: Int64, tick: Int64) {
        lastFetchTick[replica] = tick
        endOffsets[replica] = endOffset
    }

    /// The largest offset a majority of voters has reached (the leader counting `leaderEnd`).
    func majorityEndOffset(leaderID: Int32, leaderEnd: Int64) -> Int64 {
        var offsets: [Int64] = []
        offsets.reserveCapacity(voters.count)
        for id in voters.ids {
            offsets.append(id == leaderID ? leaderEnd : (endOffsets[id] ?? 0))
        }
        offsets.sort(by: >)
        return offsets[voters.majority - 1]
    }

    /// The other voters ordered most up to date first (ties by id): EndQuorumEpoch's preferred
    /// candidates.
    func preferredSuccessors(excluding leaderID: Int32) -> [Int32] {
        voters.ids.filter { $0 != leaderID }.sorted { a, b in
            let ea = endOffsets[a] ?? -1
            let eb = endOffsets[b] ?? -1
            return ea != eb ? ea > eb : a < b
        }
    }
}
