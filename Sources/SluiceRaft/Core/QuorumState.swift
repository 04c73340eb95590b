/// The election state a node must never forget (KRaft's `quorum-state` file): the highest epoch
/// it has seen, whom it voted for in that epoch, and the epoch's leader if known.
///
/// Safety rests on this being durable before any message that depends on it leaves the node: a
/// vote is persisted before the Vote response is sent, a candidacy before its Vote requests.
public struct QuorumState: Hashable, Sendable, CustomStringConvertible {
    public var epoch: Int32
    /// The candidate this node voted for in `epoch` (itself when it stood as candidate).
    public var votedID: Int32?
    /// The leader of `epoch`, once known.
    public var leaderID: Int32?

    public init(epoch: Int32 = 0, votedID: Int32? = nil, leaderID: Int32? = nil) {
        self.epoch = epoch
        self.votedID = votedID
        self.leaderID = leaderID
    }

    public var description: String {
        "epoch \(epoch), voted \(votedID.map(String.init) ?? "-"), leader \(leaderID.map(String.init) ?? "-")"
    }
}
