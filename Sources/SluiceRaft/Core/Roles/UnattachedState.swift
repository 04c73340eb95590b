/// No leader known in the current epoch (possibly having voted). A voter waits for a leader
/// until its election timeout and then becomes prospective; an observer keeps asking random
/// voters (with Fetch) who the leader is.
struct UnattachedState: Sendable {
    /// When a voter starts a pre-vote; unused by observers.
    var electionDeadline: Int64
    /// An observer's outstanding discovery Fetch.
    var discovery: InflightRequest?
    /// The fetch position the discovery Fetch was sent from.
    var discoveryPosition: OffsetAndEpoch?
}
