/// Leading the current epoch.
struct LeaderState: Sendable {
    /// The offset of this epoch's leader-change record. The high watermark only advances past
    /// it: committing a record of the current epoch is what commits everything before it.
    let epochStartOffset: Int64
    var progress: ReplicaProgress
    /// Voters that have fetched since the check-quorum timer was last reset.
    var fetchedSinceCheck: Set<Int32> = []
    /// Resign if no majority has fetched by this tick.
    var checkQuorumDeadline: Int64
    /// Voters that have not acknowledged BeginQuorumEpoch (nor fetched) in this epoch.
    var unacknowledged: Set<Int32>
    var beginInflight: [Int32: InflightRequest] = [:]
    /// Fetches with nothing to return yet, parked until new data, a high-watermark change or
    /// their deadline (the long poll).
    var parkedFetches: [Int32: ParkedFetch] = [:]
}

/// A Fetch the leader holds until it has something to say.
struct ParkedFetch: Sendable {
    let correlationID: Int32
    let request: RaftMessage.FetchRequest
    let deadline: Int64
}
