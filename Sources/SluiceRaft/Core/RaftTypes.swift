// The small value types every part of the Raft core speaks in. Node ids and epochs are Kafka's
// int32, offsets Kafka's int64, so the broker maps them onto the wire without conversion.

/// A position in the replicated log together with the epoch of the record that ends there.
///
/// Ordered as KRaft orders them: by epoch first, then by offset. A Vote's `(lastOffsetEpoch,
/// lastOffset)` and a snapshot id `(endOffset, epoch)` are both values of this type.
public struct OffsetAndEpoch: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An offset; for end offsets and snapshot ids this is exclusive (the next offset).
    public var offset: Int64
    /// The leader epoch of the record at `offset - 1` (for end offsets) or of the record itself.
    public var epoch: Int32

    public init(offset: Int64, epoch: Int32) {
        self.offset = offset
        self.epoch = epoch
    }

    public static func < (lhs: OffsetAndEpoch, rhs: OffsetAndEpoch) -> Bool {
        lhs.epoch != rhs.epoch ? lhs.epoch < rhs.epoch : lhs.offset < rhs.offset
    }

    public var description: String { "(offset \(offset), epoch \(epoch))" }
}

/// A snapshot's identity as KIP-630 defines it: the end offset it covers (exclusive) and the
/// epoch of the last record it includes.
public typealias SnapshotID = OffsetAndEpoch

/// Who leads which epoch, as far as one node knows. `leaderID` is nil while the epoch has no
/// known leader (Kafka's `-1`).
public struct LeaderAndEpoch: Hashable, Sendable, CustomStringConvertible {
    public var leaderID: Int32?
    public var epoch: Int32

    public init(leaderID: Int32?, epoch: Int32) {
        self.leaderID = leaderID
        self.epoch = epoch
    }

    public var description: String { "leader \(leaderID.map(String.init) ?? "none") in epoch \(epoch)" }
}

/// The role a node plays in its current epoch (KRaft's `EpochState` kinds).
public enum RaftRole: String, Sendable, Hashable {
    /// Knows the epoch but no leader; may have voted. Observers wait here to discover a leader.
    case unattached
    /// KIP-996: asks for non-binding pre-votes before bumping the epoch.
    case prospective
    /// Bumped the epoch, voted for itself, asks for votes.
    case candidate
    /// Won the epoch; appends, serves fetches, advances the high watermark.
    case leader
    /// Fetches from the epoch's leader.
    case follower
    /// Was the leader of this epoch and gave it up (shutdown, restart or lost quorum).
    case resigned
}

/// Errors the core's API returns to its driver (never thrown for network input: bad messages are
/// answered with a Kafka error code or ignored).
public struct RaftError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Only the leader appends; `leader` says where to go instead, if known.
        case notLeader(LeaderAndEpoch)
        /// The configuration is unusable.
        case invalidConfig
        /// The persisted state handed to `RaftNode.init` contradicts itself.
        case corruptState
        /// A snapshot was requested at an offset the node cannot snapshot.
        case invalidSnapshot
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "RaftError(\(kind)): \(message)" }
}
