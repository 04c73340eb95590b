/// The tally of a pre-vote (prospective) or a vote (candidate) round.
///
/// Only responses to this round's requests count: each voter's outstanding request is kept by
/// correlation id, so a late or duplicated response from an earlier round (a pre-vote grant
/// arriving after the node became candidate, say) is ignored.
struct ElectionState: Sendable {
    /// The epoch the round runs in: the current epoch for a pre-vote, the bumped one for a vote.
    let epoch: Int32
    var granted: Set<Int32>
    var rejected: Set<Int32> = []
    /// The outstanding request to each voter that has not answered yet.
    var inflight: [Int32: InflightRequest] = [:]
    /// The round ends (lost) at this tick.
    var deadline: Int64
    /// The leader this node followed in `epoch` before the pre-vote, to return to if it fails.
    var priorLeader: Int32?

    init(epoch: Int32, selfID: Int32, deadline: Int64, priorLeader: Int32?) {
        self.epoch = epoch
        self.granted = [selfID]
        self.deadline = deadline
        self.priorLeader = priorLeader
    }
}
