/// The log as the core holds it: the entries after the latest snapshot, in memory.
///
/// Invariants: `entries[i].offset == startOffset + i`; epochs never decrease along the log and
/// are never below `startEpoch`. Everything before `startOffset` is covered by the snapshot
/// `(startOffset, startEpoch)` (or nothing, when `startOffset == 0`).
///
/// The metadata log stays small between snapshots, which is why the core can keep it whole; the
/// driver's store holds the durable copy.
public struct RaftLog: Sendable {
    /// The first offset held (the latest snapshot's end offset, or 0).
    public private(set) var startOffset: Int64
    /// The epoch of the record at `startOffset - 1` (the snapshot's epoch), 0 if none.
    public private(set) var startEpoch: Int32
    private(set) var entries: [LogEntry]

    init(startOffset: Int64 = 0, startEpoch: Int32 = 0, entries: [LogEntry] = []) {
        self.startOffset = startOffset
        self.startEpoch = startEpoch
        self.entries = entries
    }

    /// The next offset to be written (Kafka's log end offset).
    public var endOffset: Int64 { startOffset + Int64(entries.count) }

    /// The epoch of the last record (KRaft's "last fetched epoch").
    public var lastEpoch: Int32 { entries.last?.epoch ?? startEpoch }

    /// `(endOffset, lastEpoch)`: what Vote requests compare and Fetch requests carry.
    public var lastOffsetAndEpoch: OffsetAndEpoch { OffsetAndEpoch(offset: endOffset, epoch: lastEpoch) }

    public var isEmpty: Bool { entries.isEmpty }

    /// The entry at `offset`, if the log holds it.
    public func entry(at offset: Int64) -> LogEntry? {
        guard offset >= startOffset, offset < endOffset else { return nil }
        return entries[Int(offset - startOffset)]
    }

    /// The epoch of the record at `offset`, including the snapshot boundary `startOffset - 1`.
    public func epoch(at offset: Int64) -> Int32? {
        if offset == startOffset - 1 { return startEpoch }
        return entry(at: offset)?.epoch
    }

    /// Entries from `offset` (inclusive) to the end, at most about `maxBytes` but at least one.
    func entries(from offset: Int64, maxBytes: Int) -> [LogEntry] {
        guard offset >= startOffset, offset < endOffset else { return [] }
        var result: [LogEntry] = []
        var bytes = 0
        var index = Int(offset - startOffset)
        while index < entries.count {
            let entry = entries[index]
            bytes += entry.approximateBytes
            if !result.isEmpty && bytes > maxBytes { break }
            result.append(entry)
            index += 1
        }
        return result
    }

    /// Entries in `from..<to` (clamped to the log).
    func entries(from: Int64, to: Int64) -> ArraySlice<LogEntry> {
        let lower = max(from, startOffset)
        let upper = min(to, endOffset)
        guard lower < upper else { return [] }
        return entries[Int(lower - startOffset)..<Int(upper - startOffset)]
    }

    /// KRaft's `endOffsetForEpoch`: the largest epoch in the log that is `<= epoch`, and the
    /// offset where it ends (exclusive). When every record is newer, the snapshot boundary.
    public func endOffsetForEpoch(_ epoch: Int32) -> OffsetAndEpoch {
        // Epochs never decrease along the log: binary search the first entry newer than `epoch`.
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].epoch > epoch { high = mid } else { low = mid + 1 }
        }
        if low == 0 {
            return OffsetAndEpoch(offset: startOffset, epoch: startEpoch)
        }
        return OffsetAndEpoch(offset: startOffset + Int64(low), epoch: entries[low - 1].epoch)
    }

    /// What the leader answers a Fetch at `(fetchOffset, lastFetchedEpoch)`.
    enum FetchValidation: Equatable {
        /// The follower's log matches ours up to `fetchOffset`: send entries from there.
        case valid
        /// The follower's log diverges: it must truncate to at most this and fetch again.
        case diverging(OffsetAndEpoch)
        /// The follower needs entries we only have in the snapshot: it must fetch the snapshot.
        case snapshot(SnapshotID)
    }

    /// Validates a follower's fetch position against this log (KRaft's `validateOffsetAndEpoch`).
    func validate(fetchOffset: Int64, lastFetchedEpoch: Int32) -> FetchValidation {
        if startOffset > 0 {
            let snapshotID = SnapshotID(offset: startOffset, epoch: startEpoch)
            if fetchOffset < startOffset
                || (fetchOffset == startOffset && lastFetchedEpoch != startEpoch)
                || lastFetchedEpoch < startEpoch
            {
                return .snapshot(snapshotID)
            }
        }
        if fetchOffset == 0 { return .valid }
        let end = endOffsetForEpoch(lastFetchedEpoch)
        if end.epoch == lastFetchedEpoch && fetchOffset <= end.offset {
            return .valid
        }
        return .diverging(end)
    }

    /// Where a follower truncates when the leader reports `diverging`: the end of the largest
    /// local epoch not newer than the leader's, but never past the leader's end offset for it.
    func truncationOffset(for diverging: OffsetAndEpoch) -> Int64 {
        let local = endOffsetForEpoch(diverging.epoch)
        return min(local.offset, diverging.offset)
    }

    // MARK: Mutations (callers check their preconditions; see RaftNode)

    mutating func append(_ entry: LogEntry) {
        entries.append(entry)
    }

    /// Removes every entry at or after `offset` (`offset >= startOffset`).
    mutating func truncate(from offset: Int64) {
        let keep = Int(max(0, offset - startOffset))
        if keep < entries.count {
            entries.removeSubrange(keep...)
        }
    }

    /// Drops the entries a snapshot now covers; keeps the ones after it.
    mutating func compact(through snapshot: SnapshotID) {
        let drop = Int(min(max(0, snapshot.offset - startOffset), Int64(entries.count)))
        entries.removeFirst(drop)
        startOffset = snapshot.offset
        startEpoch = snapshot.epoch
    }

    /// Throws everything away and restarts the log just after `snapshot`.
    mutating func reset(to snapshot: SnapshotID) {
        entries.removeAll()
        startOffset = snapshot.offset
        startEpoch = snapshot.epoch
    }
}
