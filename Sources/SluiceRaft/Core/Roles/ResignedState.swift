/// The leader of this epoch stepped down (graceful resignation, lost quorum, or a restart of a
/// node that was leader). It tells the voters with EndQuorumEpoch, serves no fetches, and after
/// an election timeout moves on to the next epoch as unattached.
struct ResignedState: Sendable {
    var deadline: Int64
    /// Voters that have not acknowledged the EndQuorumEpoch yet.
    var unacknowledged: Set<Int32>
    var preferredCandidates: [Int32]
    var inflight: [Int32: InflightRequest] = [:]
}
