/// Following the leader of the current epoch: one Fetch (or FetchSnapshot) in flight at a time.
struct FollowerState: Sendable {
    let leaderID: Int32
    /// A voter that has not fetched successfully by this tick starts a pre-vote; an observer goes
    /// back to discovering the leader.
    var fetchDeadline: Int64
    /// Kafka's `hasFetchedFromLeader`: until the first successful fetch, the leader may be
    /// unreachable from here, so this node grants pre-votes. Afterwards it rejects them, which is
    /// what keeps a reconnecting node from disrupting a healthy leader.
    var hasFetchedFromLeader = false
    /// The outstanding Fetch and the log position it was sent from; a response only applies if
    /// the log is still at that position.
    var inflight: InflightRequest?
    var inflightPosition: OffsetAndEpoch?
    /// No new Fetch before this tick (backoff after an error response).
    var nextFetchAt: Int64 = 0
}
