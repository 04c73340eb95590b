/// One replica of the metadata quorum as a pure state machine (KRaft's protocol, etcd-raft's
/// shape): no IO, no clocks, no threads.
///
/// Inputs: `tick()` (time), `step(_:)` (a message from a peer), `propose(_:)`, `resign()`,
/// `takeSnapshot(endOffset:data:)` (from the application). Outputs: `ready()` returns a
/// `RaftReady` — state to persist, then messages to send and entries to apply — and
/// `advance(_:)` acknowledges that its persistence is durable.
///
/// ```swift
/// var node = try RaftNode(config: config, persisted: try store.load())
/// loop {
///     // on a timer: node.tick(); on a message: node.step(envelope)
///     while node.hasReady {
///         let ready = node.ready()
///         try store.persist(ready.persistence)      // fsync before anything leaves
///         transport.send(ready.messages)
///         if let snapshot = ready.restoreSnapshot { app.restore(snapshot.data) }
///         ready.committedEntries.forEach(app.apply)
///         node.advance(ready)
///     }
/// }
/// ```
public struct RaftNode: Sendable {
    public let config: RaftConfig
    /// The voters in force (a value, so membership changes can replace it later).
    public internal(set) var voters: VoterSet
    /// The election state, as persisted (or about to be).
    public internal(set) var quorum: QuorumState
    var state: RoleState
    /// The entries after the latest snapshot.
    public internal(set) var log: RaftLog
    /// The latest snapshot (local or installed); served to followers by FetchSnapshot.
    public internal(set) var snapshot: RaftSnapshot?
    /// Entries below this are committed (Kafka's high watermark). Never decreases.
    public internal(set) var highWatermark: Int64
    /// Entries below this have been handed to the application.
    public internal(set) var appliedOffset: Int64
    /// Logical time, in ticks since the node started.
    public internal(set) var now: Int64 = 0
    /// Things a peer sent that no correct peer would (a second leader in one epoch, entries that
    /// break the log's order...). The node ignores them and records them here; tests assert
    /// this stays empty.
    public internal(set) var protocolViolations: [String] = []

    var random: SplitMix64
    var nextCorrelationID: Int32
    var electionRetries = 0
    var download: SnapshotDownload?

    // Effects waiting for the next Ready.
    var outbox: [RaftEnvelope] = []
    var quorumDirty = false
    var snapshotToPersist: RaftSnapshot?
    var snapshotToRestore: RaftSnapshot?
    /// The log end offset known durable; the leader counts only this much of its own log.
    var durableEnd: Int64
    /// The lowest offset where the in-memory log may differ from the durable one.
    var dirtyFrom: Int64?
    var pendingLogStart: Int64?
    var reportedLeader: LeaderAndEpoch?

    /// Starts a node from what its store loaded.
    ///
    /// A node that was leader of its persisted epoch comes back resigned (it cannot lead that
    /// epoch again); one that knew a leader follows it; others wait unattached.
    public init(config: RaftConfig, persisted: RaftPersistedState) throws(RaftError) {
        try config.validate()
        self.config = config
        self.voters = config.voters
        self.random = SplitMix64(seed: config.randomSeed)
        self.nextCorrelationID = Int32(truncatingIfNeeded: random.next() & 0x3fff_ffff)

        let restored = try Self.restoreLog(persisted)
        self.log = restored.log
        self.snapshot = restored.snapshot
        self.snapshotToRestore = restored.snapshot
        self.highWatermark = log.startOffset
        self.appliedOffset = log.startOffset
        // Until the first Ready says otherwise, the store holds the log it loaded.
        self.durableEnd = persisted.logStartOffset + Int64(persisted.entries.count)
        if log.startOffset != persisted.logStartOffset {
            // The snapshot covers (or replaces) part of the stored log: have the store catch up.
            if restored.discardedLog {
                dirtyFrom = persisted.logStartOffset
            }
            pendingLogStart = log.startOffset
        }

        var quorum = persisted.quorumState
        guard quorum.epoch >= 0 else { throw RaftError(.corruptState, "negative epoch \(quorum.epoch)") }
        if log.lastEpoch > quorum.epoch {
            // The log cannot hold records newer than the epoch the node knows (the store writes the
            // election state first); if it does, adopt that epoch without a vote or leader.
            quorum = QuorumState(epoch: log.lastEpoch)
            quorumDirty = true
        }
        self.quorum = quorum
        self.state = .unattached(UnattachedState(electionDeadline: 0))

        if let leader = quorum.leaderID, leader == config.nodeID, config.isVoter {
            becomeResigned(preferredCandidates: [])
        } else if let leader = quorum.leaderID, leader != config.nodeID {
            becomeFollower(leaderID: leader, epoch: quorum.epoch)
        } else {
            enterUnattached(keepingVote: true)
        }
    }

    /// Checks the loaded log against the snapshot and trims it (see `RaftPersistedState`).
    private static func restoreLog(
        _ persisted: RaftPersistedState
    ) throws(RaftError) -> (log: RaftLog, snapshot: RaftSnapshot?, discardedLog: Bool) {
        var expected = persisted.logStartOffset
        var lastEpoch: Int32 = 0
        guard expected >= 0 else { throw RaftError(.corruptState, "negative log start offset \(expected)") }
        for entry in persisted.entries {
            guard entry.offset == expected else {
                throw RaftError(.corruptState, "log entry at offset \(entry.offset) where \(expected) was expected")
            }
            guard entry.epoch >= lastEpoch else {
                throw RaftError(.corruptState, "epoch goes back from \(lastEpoch) to \(entry.epoch) at offset \(entry.offset)")
            }
            lastEpoch = entry.epoch
            expected += 1
        }
        guard let snapshot = persisted.snapshot else {
            guard persisted.logStartOffset == 0 else {
                throw RaftError(.corruptState, "the log starts at \(persisted.logStartOffset) but there is no snapshot")
            }
            return (RaftLog(entries: persisted.entries), nil, false)
        }
        let id = snapshot.id
        guard id.offset > 0, id.epoch >= 0 else { throw RaftError(.corruptState, "invalid snapshot id \(id)") }
        guard persisted.logStartOffset <= id.offset else {
            throw RaftError(.corruptState, "the log starts at \(persisted.logStartOffset), after snapshot \(id)")
        }
        var log = RaftLog(startOffset: persisted.logStartOffset, startEpoch: 0, entries: persisted.entries)
        var discarded = false
        if persisted.logStartOffset == id.offset {
            log = RaftLog(startOffset: id.offset, startEpoch: id.epoch, entries: persisted.entries)
        } else if log.entry(at: id.offset - 1)?.epoch == id.epoch {
            // The log continues the snapshot (log matching): keep what follows it.
            log.compact(through: id)
        } else {
            // The log does not reach or does not match the snapshot: a crash between storing a
            // fetched snapshot and clearing the old log. The snapshot wins.
            log.reset(to: id)
            discarded = !persisted.entries.isEmpty
        }
        if let first = log.entry(at: log.startOffset), first.epoch < id.epoch {
            throw RaftError(.corruptState, "entry \(first) is older than snapshot \(id)")
        }
        return (log, snapshot, discarded)
    }

    // MARK: Queries

    /// The node's role in its current epoch.
    public var role: RaftRole { state.role }

    /// The leader as this node knows it (nil while unknown, and while it is the resigned leader).
    public var leaderAndEpoch: LeaderAndEpoch {
        LeaderAndEpoch(leaderID: knownLeaderID, epoch: quorum.epoch)
    }

    var knownLeaderID: Int32? {
        if case .resigned = state { return nil }
        return quorum.leaderID
    }

    public var status: RaftStatus {
        RaftStatus(
            nodeID: config.nodeID, role: role, epoch: quorum.epoch, leaderID: knownLeaderID,
            votedID: quorum.votedID, highWatermark: highWatermark, logStartOffset: log.startOffset,
            logEndOffset: log.endOffset, lastEpoch: log.lastEpoch, appliedOffset: appliedOffset,
            snapshotID: snapshot?.id, voters: voters
        )
    }

    // MARK: Inputs

    /// Advances logical time by one tick: timeouts fire, retries go out.
    public mutating func tick() {
        now += 1
        switch state {
        case .unattached(let unattached):
            if config.isVoter && now >= unattached.electionDeadline { becomeProspective() }
        case .prospective(let election), .candidate(let election):
            if now >= election.deadline { electionRoundExpired() } else { sendVoteRequests() }
        case .follower(let follower):
            if now >= follower.fetchDeadline { followerFetchTimedOut() }
        case .leader:
            leaderTick()
        case .resigned(let resigned):
            if now >= resigned.deadline {
                becomeUnattached(epoch: quorum.epoch + 1)
            } else {
                sendEndQuorumEpoch()
            }
        }
        driveFetching()
    }

    /// Handles one message from a peer. Messages for another node are ignored.
    public mutating func step(_ envelope: RaftEnvelope) {
        guard envelope.destination == config.nodeID, envelope.source != config.nodeID else { return }
        let from = envelope.source
        let id = envelope.correlationID
        switch envelope.message {
        case .voteRequest(let request): handleVoteRequest(from: from, correlationID: id, request)
        case .voteResponse(let response): handleVoteResponse(from: from, correlationID: id, response)
        case .beginQuorumEpochRequest(let request): handleBeginQuorumEpochRequest(from: from, correlationID: id, request)
        case .beginQuorumEpochResponse(let response): handleBeginQuorumEpochResponse(from: from, correlationID: id, response)
        case .endQuorumEpochRequest(let request): handleEndQuorumEpochRequest(from: from, correlationID: id, request)
        case .endQuorumEpochResponse(let response): handleEndQuorumEpochResponse(from: from, correlationID: id, response)
        case .fetchRequest(let request): handleFetchRequest(from: from, correlationID: id, request)
        case .fetchResponse(let response): handleFetchResponse(from: from, correlationID: id, response)
        case .fetchSnapshotRequest(let request): handleFetchSnapshotRequest(from: from, correlationID: id, request)
        case .fetchSnapshotResponse(let response): handleFetchSnapshotResponse(from: from, correlationID: id, response)
        }
        driveFetching()
    }

    /// Appends an application record (leader only) and returns where it went. It is committed
    /// once a Ready's `committedEntries` contains an entry with this offset and epoch; if another
    /// entry shows up at that offset instead, the proposal was lost with the leadership.
    @discardableResult
    public mutating func propose(_ payload: [UInt8]) throws(RaftError) -> OffsetAndEpoch {
        guard case .leader = state else {
            throw RaftError(.notLeader(leaderAndEpoch), "node \(config.nodeID) is not the leader (\(leaderAndEpoch))")
        }
        let entry = LogEntry(offset: log.endOffset, epoch: quorum.epoch, payload: .data(payload))
        appendLocal(entry)
        completeParkedFetches()
        return OffsetAndEpoch(offset: entry.offset, epoch: entry.epoch)
    }

    /// Gives up leadership gracefully (before a shutdown): the voters hear EndQuorumEpoch with
    /// the most up-to-date voter first, and elect a successor without waiting for a fetch timeout.
    public mutating func resign() {
        guard case .leader = state else { return }
        becomeResigned(preferredCandidates: nil)
    }

    /// Records the application's snapshot of its state after applying every entry below
    /// `endOffset`, and drops those entries from the log once the snapshot is stored.
    public mutating func takeSnapshot(endOffset: Int64, data: [UInt8]) throws(RaftError) {
        guard endOffset <= appliedOffset else {
            throw RaftError(.invalidSnapshot, "offset \(endOffset) is not applied yet (applied up to \(appliedOffset))")
        }
        guard endOffset > log.startOffset, let epoch = log.epoch(at: endOffset - 1) else {
            throw RaftError(.invalidSnapshot, "offset \(endOffset) is not after the log start \(log.startOffset)")
        }
        let snapshot = RaftSnapshot(id: SnapshotID(offset: endOffset, epoch: epoch), data: data)
        self.snapshot = snapshot
        snapshotToPersist = snapshot
        log.compact(through: snapshot.id)
        pendingLogStart = endOffset
    }

    // MARK: Shared helpers

    mutating func setQuorum(_ newValue: QuorumState) {
        if newValue != quorum {
            quorum = newValue
            quorumDirty = true
        }
    }

    mutating func nextCorrelation() -> Int32 {
        let id = nextCorrelationID
        nextCorrelationID = id == Int32.max ? 0 : id + 1
        return id
    }

    /// Queues a request and returns its bookkeeping.
    mutating func sendRequest(to destination: Int32, _ message: RaftMessage) -> InflightRequest {
        let id = nextCorrelation()
        outbox.append(RaftEnvelope(source: config.nodeID, destination: destination, correlationID: id, message: message))
        return InflightRequest(destination: destination, correlationID: id, sentAt: now)
    }

    mutating func sendResponse(to destination: Int32, correlationID: Int32, _ message: RaftMessage) {
        outbox.append(RaftEnvelope(source: config.nodeID, destination: destination, correlationID: correlationID, message: message))
    }

    /// Whether a request sent at `sentAt` has waited long enough to be sent again.
    func hasTimedOut(_ request: InflightRequest?, after ticks: Int) -> Bool {
        guard let request else { return true }
        return now - request.sentAt >= Int64(ticks)
    }

    mutating func recordViolation(_ message: String) {
        if protocolViolations.count < 100 {
            protocolViolations.append("tick \(now), epoch \(quorum.epoch): \(message)")
        }
    }

    /// Appends to the in-memory log; the next Ready persists it.
    mutating func appendLocal(_ entry: LogEntry) {
        log.append(entry)
        dirtyFrom = min(dirtyFrom ?? entry.offset, entry.offset)
    }

    /// Truncates the in-memory log; the next Ready persists the truncation.
    mutating func truncateLocal(from offset: Int64) {
        log.truncate(from: offset)
        dirtyFrom = min(dirtyFrom ?? offset, offset)
    }

    /// `[T, 2T)` ticks, KRaft's randomised election timeout.
    mutating func randomElectionTimeout() -> Int64 {
        Int64(config.electionTimeoutTicks + random.below(config.electionTimeoutTicks))
    }
}
