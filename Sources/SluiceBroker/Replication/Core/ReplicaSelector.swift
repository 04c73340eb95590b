/// Which replica a consumer should read a partition from (KIP-392, Kafka's `ReplicaSelector`
/// named by `replica.selector.class`), chosen by the partition's leader for consumers that send
/// their rack (`client.rack`, Fetch v11+ `rack_id`). A pure function of the candidates.
public enum ReplicaSelector: Sendable, Equatable {
    /// `org.apache.kafka.common.replica.LeaderSelector`: always the leader.
    case leader
    /// `org.apache.kafka.common.replica.RackAwareReplicaSelector`: a replica in the client's
    /// rack — the leader when it is there, else the one furthest ahead; the leader when none is.
    case rackAware

    public static let rackAwareClass = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
    public static let leaderClass = "org.apache.kafka.common.replica.LeaderSelector"

    init?(className: String) {
        switch className {
        case Self.rackAwareClass: self = .rackAware
        case Self.leaderClass: self = .leader
        default: return nil
        }
    }

    var className: String { self == .rackAware ? Self.rackAwareClass : Self.leaderClass }

    /// A replica that may serve the read: in sync, holding the fetch offset, on a live broker.
    struct Candidate: Equatable {
        var id: Int32
        var rack: String?
        var logEndOffset: Int64
    }

    /// The replica to read from, nil for the leader itself (then the leader serves the fetch).
    /// `candidates` are the followers that may serve it (the leader is implied).
    func select(leader: Int32, leaderRack: String?, candidates: [Candidate], clientRack: String?) -> Int32? {
        guard self == .rackAware, let clientRack, !clientRack.isEmpty, leaderRack != clientRack else { return nil }
        let sameRack = candidates.filter { $0.rack == clientRack && $0.id != leader }
        // Kafka's `ReplicaView.comparator`: the furthest log end offset wins (ties: lowest id here).
        return sameRack.max { ($0.logEndOffset, -$0.id) < ($1.logEndOffset, -$1.id) }?.id
    }
}
