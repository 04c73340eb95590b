import NIOCore

/// The cleaner's map from record key to the offset of its latest record in the dirty part of
/// a log, within a memory budget (`log.cleaner.dedupe.buffer.size`).
///
/// Keys are kept whole (Kafka keeps a 16-byte hash of each, accepting a small chance of wrongly
/// dropping a record on a collision; exact keys cost more memory but never drop the wrong
/// record). Each entry is charged its key bytes plus a fixed overhead; ``put(_:offset:)``
/// refuses a new key that would pass the budget, and the cleaner then cleans only up to there.
struct KeyOffsetMap {
    /// Dictionary slot, array header and offset, roughly.
    static let entryOverhead = 64

    private var offsets: [ByteBuffer: Int64] = [:]
    let budget: Int
    private(set) var usedBytes = 0

    init(budget: Int) {
        self.budget = budget
    }

    var count: Int { offsets.count }

    /// Records `offset` as the latest for `key`; false (and no change) when a new key does not
    /// fit the budget.
    mutating func put(_ key: ByteBuffer, offset: Int64) -> Bool {
        if let existing = offsets[key] {
            if offset > existing { offsets[key] = offset }
            return true
        }
        let cost = key.readableBytes + Self.entryOverhead
        guard usedBytes + cost <= budget else { return false }
        // A compact copy: the key must not keep the whole read window alive.
        var copy = ByteBufferAllocator().buffer(capacity: key.readableBytes)
        copy.writeImmutableBuffer(key)
        offsets[copy] = offset
        usedBytes += cost
        return true
    }

    func latestOffset(_ key: ByteBuffer) -> Int64? {
        offsets[key]
    }
}
