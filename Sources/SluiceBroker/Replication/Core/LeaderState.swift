import KafkaProtocol

/// A partition's leader-side replication logic, as a pure value: follower positions, the ISR,
/// the high watermark. No IO, no clock: callers pass the time and the log's end offset, and
/// carry out what the returned ``LeaderUpdate`` says (advance the log's high watermark, complete
/// produce requests, send an AlterPartition).
///
/// Invariants:
/// - the high watermark never decreases, never passes the leader's log end, and never passes
///   the log end of a member of the maximal ISR (committed plus proposed);
/// - it advances only to offsets at or above `epochStartOffset`: positions learnt in this epoch
///   are the only ones counted (as Raft commits only entries of its own term);
/// - a follower joins the ISR only once it has reached both the high watermark and the epoch
///   start; it leaves when it has not been caught up for `replica.lag.time.max.ms`;
/// - at most one ISR change is in flight.
struct LeaderState: Sendable {
    let localId: Int32
    let config: ReplicationConfig
    private(set) var leaderEpoch: Int32
    /// The log end when this node became leader in `leaderEpoch`.
    private(set) var epochStartOffset: Int64
    private(set) var replicas: [Int32]
    private(set) var isrState: IsrState
    private(set) var followers: [Int32: FollowerProgress]
    private(set) var highWatermark: Int64
    private var nextProposalId: UInt64 = 1

    /// Becomes leader as `state` says. `highWatermark` is the log's (a follower's view, or the
    /// checkpoint after a restart); the caller then calls ``maybeAdvanceHighWatermark(logEndOffset:now:)``
    /// (a leader alone in the ISR commits at once).
    init(state: PartitionState, localId: Int32, logEndOffset: Int64, highWatermark: Int64, now: Int64,
         config: ReplicationConfig) {
        self.localId = localId
        self.config = config
        self.leaderEpoch = state.leaderEpoch
        self.epochStartOffset = logEndOffset
        self.replicas = state.replicas
        self.isrState = IsrState(isr: state.isr, partitionEpoch: state.partitionEpoch)
        self.highWatermark = min(highWatermark, logEndOffset)
        self.followers = [:]
        for id in state.replicas where id != localId {
            followers[id] = .reset(replicaId: id, now: now, leaderEndOffset: logEndOffset, inSync: state.isr.contains(id))
        }
    }

    var isr: [Int32] { isrState.isr }
    /// Whether an AlterPartition that drops members from the ISR is waiting for the controller's
    /// answer: followers stopped fetching (or fell behind) and the controller has not confirmed.
    var isShrinkingIsr: Bool {
        guard let pending = isrState.pending else { return false }
        return isrState.isr.contains { !pending.isr.contains($0) }
    }
    var maximalIsr: [Int32] { isrState.maximal }
    var partitionEpoch: Int32 { isrState.partitionEpoch }

    /// A metadata update for this partition in the same leader epoch (ISR or replicas changed).
    /// Older partition epochs are ignored. The committed ISR replaces any pending change.
    mutating func apply(_ state: PartitionState, logEndOffset: Int64, now: Int64) -> LeaderUpdate {
        guard state.leaderEpoch == leaderEpoch, state.partitionEpoch >= isrState.partitionEpoch else { return LeaderUpdate() }
        replicas = state.replicas
        for id in replicas where id != localId && followers[id] == nil {
            followers[id] = FollowerProgress(replicaId: id)
        }
        for id in followers.keys where !replicas.contains(id) {
            followers[id] = nil
        }
        isrState.commit(isr: state.isr, partitionEpoch: state.partitionEpoch)
        var update = LeaderUpdate()
        update.isrChanged = true
        update.newHighWatermark = maybeAdvanceHighWatermark(logEndOffset: logEndOffset, now: now)
        return update
    }

    // MARK: Follower fetches

    /// Checks a follower's fetch before anything is read: the leader epoch it believes in, and
    /// whether its log diverges from ours (KIP-320: the end of its last fetched epoch here).
    func validateFetch(replicaId: Int32, currentLeaderEpoch: Int32, fetchOffset: Int64, lastFetchedEpoch: Int32,
                       logStartOffset: Int64, logEndOffset: Int64, latestLogged: Int32?,
                       logged: (Int32) -> (epoch: Int32, endOffset: Int64)?) -> FetchValidation {
        if currentLeaderEpoch >= 0 && currentLeaderEpoch < leaderEpoch { return .error(.fencedLeaderEpoch) }
        if currentLeaderEpoch > leaderEpoch { return .error(.unknownLeaderEpoch) }
        guard replicaId != localId, replicas.contains(replicaId) else { return .error(.notLeaderOrFollower) }
        guard lastFetchedEpoch >= 0 else { return .read }
        guard let end = endOffset(forEpoch: lastFetchedEpoch, logEndOffset: logEndOffset, latestLogged: latestLogged,
                                  logged: logged) else {
            return .error(.offsetOutOfRange)
        }
        if fetchOffset < logStartOffset { return .error(.offsetOutOfRange) }
        if end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset {
            return .diverging(epoch: end.epoch, endOffset: end.endOffset)
        }
        return .read
    }

    /// OffsetForLeaderEpoch as this leader answers it (see ``LeaderEpochLookup``).
    func endOffset(forEpoch epoch: Int32, logEndOffset: Int64, latestLogged: Int32?,
                   logged: (Int32) -> (epoch: Int32, endOffset: Int64)?) -> (epoch: Int32, endOffset: Int64)? {
        LeaderEpochLookup.endOffset(requested: epoch, currentEpoch: leaderEpoch, epochStartOffset: epochStartOffset,
                                    logEndOffset: logEndOffset, latestLogged: latestLogged, logged: logged)
    }

    /// Records a follower fetch that was served from `fetchOffset` (validated, not diverging):
    /// the follower's log ends there. May add it to the ISR and advance the high watermark.
    mutating func recordFollowerFetch(replicaId: Int32, fetchOffset: Int64, followerLogStartOffset: Int64,
                                      brokerEpoch: Int64, logEndOffset: Int64, now: Int64) -> LeaderUpdate {
        guard var progress = followers[replicaId] else { return LeaderUpdate() }
        progress.recordFetch(fetchOffset: fetchOffset, logStartOffset: followerLogStartOffset, brokerEpoch: brokerEpoch,
                             now: now, leaderEndOffset: logEndOffset)
        followers[replicaId] = progress
        var update = LeaderUpdate()
        update.proposal = maybeExpandIsr(progress)
        update.newHighWatermark = maybeAdvanceHighWatermark(logEndOffset: logEndOffset, now: now)
        return update
    }

    private mutating func maybeExpandIsr(_ follower: FollowerProgress) -> IsrProposal? {
        guard !isrState.isInflight, !isrState.isr.contains(follower.replicaId),
              follower.logEndOffset >= highWatermark, follower.logEndOffset >= epochStartOffset else { return nil }
        return propose(isrState.isr + [follower.replicaId])
    }

    // MARK: Appends, time, the high watermark

    /// The leader appended: with no follower in the ISR the high watermark follows the log end.
    mutating func leaderAppended(logEndOffset: Int64, now: Int64) -> Int64? {
        maybeAdvanceHighWatermark(logEndOffset: logEndOffset, now: now)
    }

    /// The periodic ISR check: followers in the ISR that have not been caught up for
    /// `replica.lag.time.max.ms` are proposed for removal (the leader always stays).
    mutating func checkIsr(logEndOffset: Int64, now: Int64) -> IsrProposal? {
        guard !isrState.isInflight else { return nil }
        let lagging = isrState.isr.filter { id in
            guard id != localId else { return false }
            guard let progress = followers[id] else { return true }
            return !progress.isCaughtUp(leaderEndOffset: logEndOffset, now: now, maxLagMs: config.replicaLagTimeMaxMs)
        }
        guard !lagging.isEmpty else { return nil }
        return propose(isrState.isr.filter { !lagging.contains($0) })
    }

    private mutating func propose(_ isr: [Int32]) -> IsrProposal {
        let proposal = IsrProposal(id: nextProposalId, isr: isr, leaderEpoch: leaderEpoch,
                                   partitionEpoch: isrState.partitionEpoch)
        nextProposalId += 1
        isrState.propose(proposal)
        return proposal
    }

    /// Raises the high watermark to the smallest log end among the leader, the maximal ISR, and
    /// followers that are caught up but not yet in the ISR (so that they can reach it and join).
    /// Returns the new value when it moved.
    mutating func maybeAdvanceHighWatermark(logEndOffset: Int64, now: Int64) -> Int64? {
        var candidate = logEndOffset
        let maximal = isrState.maximal
        for (id, progress) in followers where progress.logEndOffset < candidate {
            let counts = maximal.contains(id) || (progress.logEndOffset >= 0
                && progress.isCaughtUp(leaderEndOffset: logEndOffset, now: now, maxLagMs: config.replicaLagTimeMaxMs))
            if counts { candidate = progress.logEndOffset }
        }
        guard candidate > highWatermark, candidate >= epochStartOffset else { return nil }
        highWatermark = candidate
        return candidate
    }

    // MARK: The controller's answer

    /// Applies the answer to an AlterPartition this leader sent for `proposal`.
    mutating func alterPartitionAnswered(_ proposal: IsrProposal, result: AlterPartitionResult, logEndOffset: Int64,
                                         now: Int64) -> LeaderUpdate {
        guard isrState.pending?.id == proposal.id else { return LeaderUpdate() }
        var update = LeaderUpdate()
        switch result {
        case let .committed(leaderId: _, leaderEpoch: epoch, isr: isr, partitionEpoch: partitionEpoch):
            // An answer for another epoch or an older version of the partition is stale: the
            // metadata update that follows will settle the state.
            guard epoch == leaderEpoch, partitionEpoch >= isrState.partitionEpoch else { return update }
            isrState.commit(isr: isr, partitionEpoch: partitionEpoch)
            update.isrChanged = true
        case .refused(.ineligibleReplica), .refused(.operationNotAttempted):
            isrState.abandonPending()
            update.isrChanged = true
        case .refused(.fencedLeaderEpoch), .refused(.invalidUpdateVersion), .refused(.unknownTopicOrPartition),
             .refused(.unknownTopicId), .refused(.invalidRequest):
            // Our view is stale; the metadata update on its way replaces the pending change.
            return update
        case .refused:
            update.retryProposal = proposal
            return update
        }
        update.newHighWatermark = maybeAdvanceHighWatermark(logEndOffset: logEndOffset, now: now)
        return update
    }
}

/// What a leader must do after a state change.
struct LeaderUpdate: Sendable, Equatable {
    /// The high watermark moved here: set it on the log, complete produce requests, wake fetches.
    var newHighWatermark: Int64?
    /// Send this AlterPartition to the controller.
    var proposal: IsrProposal?
    /// Send this AlterPartition again after a pause (retriable failure).
    var retryProposal: IsrProposal?
    /// The ISR changed (produce requests waiting on `min.insync.replicas` must look again).
    var isrChanged = false
}

/// The leader's verdict on a follower's fetch before reading.
enum FetchValidation: Equatable, Sendable {
    case read
    /// The follower's log diverges after this epoch's end offset: it must truncate (KIP-320).
    case diverging(epoch: Int32, endOffset: Int64)
    case error(ErrorCode)
}

/// The controller's answer to one partition of an AlterPartition.
enum AlterPartitionResult: Equatable, Sendable {
    case committed(leaderId: Int32, leaderEpoch: Int32, isr: [Int32], partitionEpoch: Int32)
    case refused(ErrorCode)
}
