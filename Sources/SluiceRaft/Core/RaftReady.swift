/// Everything the node needs its driver to do after some input, in order:
///
/// 1. make `persistence` durable (fsync) — nothing below may happen before;
/// 2. send `messages`;
/// 3. restore the application from `restoreSnapshot` if set, then apply `committedEntries`;
/// 4. call `RaftNode.advance(_:)` with this value.
///
/// Readys must be persisted and advanced in the order `ready()` returned them. Stepping the node
/// between `ready()` and `advance(_:)` is allowed: new effects wait for the next Ready.
public struct RaftReady: Sendable {
    public var persistence: RaftPersistence
    public var messages: [RaftEnvelope]
    /// The application must replace its state with this snapshot's before applying entries.
    public var restoreSnapshot: RaftSnapshot?
    /// Entries now committed (below the high watermark), in offset order, each exactly once per
    /// process lifetime.
    public var committedEntries: [LogEntry]
    /// Set when the known leader or epoch changed since the previous Ready.
    public var leaderChange: LeaderAndEpoch?
    public var highWatermark: Int64
    /// The log end offset this Ready makes durable.
    let durableEndOffset: Int64

    public var isEmpty: Bool {
        persistence.isEmpty && messages.isEmpty && restoreSnapshot == nil && committedEntries.isEmpty
            && leaderChange == nil
    }
}

/// What must be durable before the Ready's messages leave. `operations` gives the order a store
/// applies them in; a crash between two operations leaves a state the node recovers from.
public struct RaftPersistence: Sendable, Hashable {
    /// The election state, when it changed.
    public var quorumState: QuorumState?
    /// A snapshot to store (taken locally or fetched from the leader). Stored before the log
    /// drops the entries it covers.
    public var snapshot: RaftSnapshot?
    /// Delete every entry at or after this offset (a divergent tail, or everything).
    public var truncateFrom: Int64?
    /// Delete every entry before this offset; an empty log then continues at this offset.
    public var logStartOffset: Int64?
    /// Append these (contiguous, starting at the log's end after the steps above).
    public var entries: [LogEntry]

    public init(
        quorumState: QuorumState? = nil, snapshot: RaftSnapshot? = nil, truncateFrom: Int64? = nil,
        logStartOffset: Int64? = nil, entries: [LogEntry] = []
    ) {
        self.quorumState = quorumState
        self.snapshot = snapshot
        self.truncateFrom = truncateFrom
        self.logStartOffset = logStartOffset
        self.entries = entries
    }

    public var isEmpty: Bool {
        quorumState == nil && snapshot == nil && truncateFrom == nil && logStartOffset == nil && entries.isEmpty
    }

    /// The steps in the order a store performs them.
    public var operations: [RaftPersistOperation] {
        var ops: [RaftPersistOperation] = []
        if let quorumState { ops.append(.writeQuorumState(quorumState)) }
        if let snapshot { ops.append(.writeSnapshot(snapshot)) }
        if let truncateFrom { ops.append(.truncateLog(from: truncateFrom)) }
        if let logStartOffset { ops.append(.setLogStart(logStartOffset)) }
        if !entries.isEmpty { ops.append(.append(entries)) }
        return ops
    }
}

/// One durable step of a `RaftPersistence`.
public enum RaftPersistOperation: Sendable, Hashable {
    case writeQuorumState(QuorumState)
    case writeSnapshot(RaftSnapshot)
    case truncateLog(from: Int64)
    case setLogStart(Int64)
    case append([LogEntry])
}

/// What a store hands back at startup. The node normalises it (see `RaftNode.init`): a log that
/// does not continue the snapshot is discarded, entries the snapshot covers are dropped.
public struct RaftPersistedState: Sendable, Hashable {
    public var quorumState: QuorumState
    public var snapshot: RaftSnapshot?
    /// The offset of `entries.first`, or where an empty log continues.
    public var logStartOffset: Int64
    public var entries: [LogEntry]

    public init(quorumState: QuorumState = QuorumState(), snapshot: RaftSnapshot? = nil, logStartOffset: Int64 = 0, entries: [LogEntry] = []) {
        self.quorumState = quorumState
        self.snapshot = snapshot
        self.logStartOffset = logStartOffset
        self.entries = entries
    }

    /// A node that has never run.
    public static let empty = RaftPersistedState()
}

/// A read-only picture of a node, for drivers, tests and DescribeQuorum.
public struct RaftStatus: Sendable, Hashable, CustomStringConvertible {
    public var nodeID: Int32
    public var role: RaftRole
    public var epoch: Int32
    public var leaderID: Int32?
    public var votedID: Int32?
    public var highWatermark: Int64
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var lastEpoch: Int32
    public var appliedOffset: Int64
    public var snapshotID: SnapshotID?
    public var voters: VoterSet

    public var description: String {
        "node \(nodeID) \(role) epoch \(epoch) leader \(leaderID.map(String.init) ?? "-") hw \(highWatermark) "
            + "log [\(logStartOffset), \(logEndOffset)) last epoch \(lastEpoch) applied \(appliedOffset)"
    }
}
