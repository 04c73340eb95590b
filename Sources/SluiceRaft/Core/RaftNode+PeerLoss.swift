// A lost connection as a hint (the driver's transport saw it): a process that dies closes its
// sockets, so a follower learns that its leader is gone long before a fetch timeout would tell it.

extension RaftNode {
    /// The driver's transport saw the connection to `peer` fail — reset or refused, not timed out.
    /// A follower of `peer` stops treating it as live: it grants pre-votes again (KIP-996, the
    /// peer voters' connections broke too when the process died) and starts its own pre-vote a few
    /// ticks from now instead of a whole `fetchTimeoutTicks` after its last fetch. The few ticks
    /// are random, `[1, electionTimeoutTicks / 5]`, so that two followers that lost the same
    /// leader rarely ask at once. Pre-vote still guards the quorum: if the leader is alive and the
    /// others still fetch from it, they refuse, and the vote responses name the leader, which this
    /// node then follows again. Ignored for any other peer or role.
    public mutating func peerUnreachable(_ peer: Int32) {
        guard case .follower(var follower) = state, follower.leaderID == peer else { return }
        follower.hasFetchedFromLeader = false
        let jitter = Int64(random.below(max(1, config.electionTimeoutTicks / 5)))
        follower.fetchDeadline = min(follower.fetchDeadline, now + 1 + jitter)
        state = .follower(follower)
    }
}
