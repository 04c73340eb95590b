/// The leader epochs a partition's log has seen and the offset where each began, for
/// OffsetForLeaderEpoch and follower truncation (KIP-101, KIP-279).
///
/// Saved as `leader-epoch-checkpoint` in Kafka's text format: a version line (0), a count line,
/// then one `<epoch> <start offset>` line per entry, replaced atomically on every change.
///
/// Invariant: epochs and start offsets both strictly increase.
struct LeaderEpochCache: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var epoch: Int32
        var startOffset: Int64
    }

    static let fileName = "leader-epoch-checkpoint"

    private(set) var entries: [Entry] = []

    init(entries: [Entry] = []) {
        self.entries = entries
    }

    var latestEpoch: Int32? { entries.last?.epoch }

    /// Whether batches of `epoch` appended at `logEndOffset` need no change to the cache: it is
    /// the latest epoch and already has data (the common case of every append).
    func isCurrent(_ epoch: Int32, logEndOffset: Int64) -> Bool {
        guard let last = entries.last else { return false }
        return last.epoch == epoch && last.startOffset < logEndOffset
    }

    /// Records that `epoch` starts at `startOffset`, dropping entries it contradicts (an epoch
    /// not below it, or a start offset not below it). Returns whether anything changed.
    @discardableResult
    mutating func assign(epoch: Int32, startOffset: Int64) -> Bool {
        guard epoch >= 0 else { return false }
        if let last = entries.last, last.epoch == epoch && last.startOffset <= startOffset { return false }
        if let last = entries.last, last.epoch > epoch, last.startOffset <= startOffset {
            // An older epoch after a newer one: stale (e.g. a replayed batch); ignore.
            return false
        }
        entries.removeAll { $0.epoch >= epoch || $0.startOffset >= startOffset }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// Kafka's `endOffsetFor`: for the requested epoch, the largest known epoch <= it and the
    /// start offset of the first epoch after that (or the log end for the latest epoch).
    /// A requested epoch below every known one answers the requested epoch and the first known
    /// start offset; nil (UNDEFINED) when the cache is empty or the epoch is above the latest.
    func endOffset(for requested: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64)? {
        guard requested >= 0, let latest = entries.last else { return nil }
        if requested == latest.epoch { return (requested, logEndOffset) }
        guard let higher = entries.firstIndex(where: { $0.epoch > requested }) else { return nil }
        if higher == 0 { return (requested, entries[0].startOffset) }
        return (entries[higher - 1].epoch, entries[higher].startOffset)
    }

    /// The epoch of the batch holding `offset`.
    func epoch(forOffset offset: Int64) -> Int32? {
        entries.last { $0.startOffset <= offset }?.epoch
    }

    /// Removes epochs starting at or after `endOffset` (the log was truncated there).
    @discardableResult
    mutating func truncate(fromEnd endOffset: Int64) -> Bool {
        let before = entries.count
        entries.removeAll { $0.startOffset >= endOffset }
        return entries.count != before
    }

    /// Moves epochs that start below the new log start up to it (keeping the latest of them).
    @discardableResult
    mutating func truncate(fromStart startOffset: Int64) -> Bool {
        guard let keep = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
        let changed = keep > 0 || entries[keep].startOffset != startOffset
        entries.removeFirst(keep)
        entries[0].startOffset = startOffset
        return changed
    }

    func encoded() -> String {
        var text = "0\n\(entries.count)\n"
        for e in entries { text += "\(e.epoch) \(e.startOffset)\n" }
        return text
    }

    static func decode(_ text: String) -> LeaderEpochCache? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), count >= 0, lines.count >= 2 + count
        else { return nil }
        var cache = LeaderEpochCache()
        for line in lines[2..<(2 + count)] {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let epoch = Int32(parts[0]), let offset = Int64(parts[1]) else { return nil }
            if let last = cache.entries.last, epoch <= last.epoch || offset < last.startOffset { return nil }
            cache.entries.append(Entry(epoch: epoch, startOffset: offset))
        }
        return cache
    }

    static func path(_ directory: String) -> String { "\(directory)/\(fileName)" }

    func write(directory: String, faults: StorageFaults?) throws {
        try AtomicFile.write(encoded(), to: Self.path(directory), faults: faults)
    }

    static func read(directory: String) -> LeaderEpochCache? {
        guard let bytes = try? AtomicFile.read(path(directory)) else { return nil }
        return decode(String(decoding: bytes, as: UTF8.self))
    }
}
