// The output side: collecting effects into a Ready, and the driver's acknowledgement.

extension RaftNode {
    /// Whether `ready()` has anything to hand out.
    public var hasReady: Bool {
        quorumDirty || snapshotToPersist != nil || dirtyFrom != nil || pendingLogStart != nil || !outbox.isEmpty
            || snapshotToRestore != nil || appliedOffset < min(highWatermark, log.endOffset)
            || currentLeaderReport != reportedLeader
    }

    private var currentLeaderReport: LeaderAndEpoch { leaderAndEpoch }

    /// Takes the pending effects. Persist `persistence` durably, then send, apply, and call
    /// `advance(_:)`; see `RaftReady`.
    public mutating func ready() -> RaftReady {
        var persistence = RaftPersistence()
        if quorumDirty { persistence.quorumState = quorum }
        persistence.snapshot = snapshotToPersist
        if let dirtyFrom {
            if dirtyFrom < durableEnd { persistence.truncateFrom = dirtyFrom }
            persistence.entries = Array(log.entries(from: dirtyFrom, to: log.endOffset))
        }
        persistence.logStartOffset = pendingLogStart

        let committedEnd = min(highWatermark, log.endOffset)
        var committed: [LogEntry] = []
        if appliedOffset < committedEnd {
            committed = Array(log.entries(from: appliedOffset, to: committedEnd))
            appliedOffset = committedEnd
        }
        let leader = currentLeaderReport
        let leaderChange: LeaderAndEpoch? = leader != reportedLeader ? leader : nil
        reportedLeader = leader

        let ready = RaftReady(
            persistence: persistence, messages: outbox, restoreSnapshot: snapshotToRestore,
            committedEntries: committed, leaderChange: leaderChange, highWatermark: highWatermark,
            durableEndOffset: log.endOffset
        )
        outbox.removeAll(keepingCapacity: true)
        quorumDirty = false
        snapshotToPersist = nil
        snapshotToRestore = nil
        dirtyFrom = nil
        pendingLogStart = nil
        return ready
    }

    /// Acknowledges that `ready.persistence` is durable. The leader may now count its own new
    /// entries towards the high watermark.
    public mutating func advance(_ ready: RaftReady) {
        // A truncation after `ready()` (not yet persisted) keeps the durable end at or below it.
        durableEnd = min(ready.durableEndOffset, dirtyFrom ?? ready.durableEndOffset)
        maybeAdvanceHighWatermark()
    }
}
