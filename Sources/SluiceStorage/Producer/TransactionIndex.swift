import KafkaProtocol

/// An aborted transaction of one partition (Kafka's `AbortedTxn`): its producer, its first offset,
/// its ABORT marker's offset, and the last stable offset once it was out of the way. A
/// `read_committed` fetch lists the aborted transactions that overlap the records it returns, so
/// that the consumer can drop their records.
public struct AbortedTransaction: Sendable, Hashable {
    public var producerId: Int64
    public var firstOffset: Int64
    /// The ABORT marker's offset.
    public var lastOffset: Int64
    public var lastStableOffset: Int64

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }

    /// Whether this transaction wrote `offset` for `producerId` (a batch of the producer inside
    /// the transaction's range).
    func covers(producerId: Int64, offset: Int64) -> Bool {
        producerId == self.producerId && offset >= firstOffset && offset <= lastOffset
    }
}

/// The aborted transactions whose ABORT marker is in one segment, in marker order: the segment's
/// `.txnindex` file (Kafka's `TransactionIndex` and its format: per entry, big-endian,
/// `version int16 (0), producer_id int64, first_offset int64, last_offset int64,
/// last_stable_offset int64`).
///
/// Kept in memory by its segment and written with the segment's other indexes (atomically, when
/// the segment stops being active, and at a clean shutdown); after an unclean stop it is rebuilt
/// with the producer state of the segments recovery replays.
struct TransactionIndex: Sendable, Equatable {
    static let entrySize = 34
    static let version: Int16 = 0

    private(set) var entries: [AbortedTransaction] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func append(_ transaction: AbortedTransaction) {
        entries.append(transaction)
    }

    /// Drops the transactions whose marker is at or after `offset` (the segment was truncated there).
    mutating func truncate(to offset: Int64) {
        entries.removeAll { $0.lastOffset >= offset }
    }

    /// Kafka's `collectAbortedTxns`: the transactions that end at or after `fetchOffset` and start
    /// before `upperBound`; `complete` once an entry shows that no later one can start before the
    /// bound (its last stable offset reaches it), so later segments need not be searched.
    func collect(from fetchOffset: Int64, upTo upperBound: Int64) -> (found: [AbortedTransaction], complete: Bool) {
        var found: [AbortedTransaction] = []
        for entry in entries {
            if entry.lastOffset >= fetchOffset && entry.firstOffset < upperBound { found.append(entry) }
            if entry.lastStableOffset >= upperBound { return (found, true) }
        }
        return (found, false)
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * Self.entrySize)
        for e in entries {
            appendBigEndian(Self.version, to: &out)
            appendBigEndian(e.producerId, to: &out)
            appendBigEndian(e.firstOffset, to: &out)
            appendBigEndian(e.lastOffset, to: &out)
            appendBigEndian(e.lastStableOffset, to: &out)
        }
        return out
    }

    /// The index in `bytes`; nil when they are not whole entries of version 0.
    static func decode(_ bytes: [UInt8]) -> TransactionIndex? {
        guard bytes.count % entrySize == 0 else { return nil }
        var index = TransactionIndex()
        var at = 0
        while at < bytes.count {
            guard readBigEndian(bytes, at: at) as Int16 == version else { return nil }
            index.entries.append(AbortedTransaction(
                producerId: readBigEndian(bytes, at: at + 2), firstOffset: readBigEndian(bytes, at: at + 10),
                lastOffset: readBigEndian(bytes, at: at + 18), lastStableOffset: readBigEndian(bytes, at: at + 26)))
            at += entrySize
        }
        return index
    }
}
