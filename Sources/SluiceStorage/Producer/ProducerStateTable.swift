/// What the log remembers about one appended batch of an idempotent producer.
struct ProducerBatchMetadata: Equatable, Sendable {
    var firstSequence: Int32
    var lastSequence: Int32
    var lastOffset: Int64
    var offsetDelta: Int32
    var timestamp: Int64

    var firstOffset: Int64 { lastOffset - Int64(offsetDelta) }
}

/// One producer id's state: its epoch and its last few batches.
struct ProducerStateEntry: Equatable, Sendable {
    /// Kafka remembers the last five batches per producer: a client has at most five requests
    /// in flight, so any retry it sends is one of them.
    static let batchesRetained = 5

    var producerId: Int64
    var producerEpoch: Int16
    var batches: [ProducerBatchMetadata] = []
    var lastTimestamp: Int64 = -1

    var lastSequence: Int32? { batches.last?.lastSequence }
    var lastOffset: Int64? { batches.last?.lastOffset }

    /// The remembered batch with exactly these sequence numbers, for the same epoch.
    func duplicate(epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> ProducerBatchMetadata? {
        guard epoch == producerEpoch else { return nil }
        return batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }

    mutating func add(_ header: BatchHeader) {
        if header.producerEpoch != producerEpoch {
            producerEpoch = header.producerEpoch
            batches.removeAll()
        }
        lastTimestamp = max(lastTimestamp, header.maxTimestamp)
        guard !header.isControl, header.baseSequence >= 0 else { return }
        batches.append(ProducerBatchMetadata(
            firstSequence: header.baseSequence, lastSequence: header.lastSequence,
            lastOffset: header.lastOffset, offsetDelta: header.lastOffsetDelta, timestamp: header.maxTimestamp))
        if batches.count > Self.batchesRetained { batches.removeFirst(batches.count - Self.batchesRetained) }
    }
}

/// Idempotent producers' state for one partition, for duplicate and sequence checks.
///
/// Kafka's rules (`ProducerAppendInfo`): a batch repeating one of the producer's last five
/// batches (same epoch and sequence range) is a duplicate; an older epoch is fenced
/// (INVALID_PRODUCER_EPOCH); a new epoch must start at sequence 0; within an epoch, sequences
/// follow on without gaps (wrapping at Int32.max); an unknown producer (never seen, or whose data
/// retention removed) may start at any sequence.
///
/// Rebuilt after a restart from the latest snapshot at or below the log end plus the batch
/// headers after it (see ``ProducerStateSnapshot``).
struct ProducerStateTable: Equatable, Sendable {
    private(set) var entries: [Int64: ProducerStateEntry] = [:]

    var count: Int { entries.count }
    subscript(_ producerId: Int64) -> ProducerStateEntry? { entries[producerId] }

    init(entries: [Int64: ProducerStateEntry] = [:]) {
        self.entries = entries
    }

    /// Records a batch already in the log (recovery, follower appends): no checks.
    mutating func replay(_ header: BatchHeader) {
        guard header.hasProducerId else { return }
        var entry = entries[header.producerId]
            ?? ProducerStateEntry(producerId: header.producerId, producerEpoch: header.producerEpoch)
        if header.producerEpoch < entry.producerEpoch { return }
        entry.add(header)
        entries[header.producerId] = entry
    }

    mutating func set(_ entry: ProducerStateEntry) {
        entries[entry.producerId] = entry
    }

    /// Forgets producers whose last write is older than `producer.id.expiration.ms`.
    mutating func expire(now: Int64, expirationMs: Int64) {
        entries = entries.filter { now - $0.value.lastTimestamp < expirationMs }
    }

    /// The offsets of each producer's last batch (the cleaner keeps those batches' headers).
    var lastBatchOffsets: Set<Int64> {
        Set(entries.values.compactMap(\.lastOffset))
    }
}

/// Sequence validation for the batches of one leader append, against the table plus the
/// batches earlier in the same append.
struct ProducerAppendValidator {
    enum Outcome {
        case append
        case duplicate(ProducerBatchMetadata)
    }

    private let table: ProducerStateTable
    private(set) var updated: [Int64: ProducerStateEntry] = [:]

    init(table: ProducerStateTable) {
        self.table = table
    }

    /// Checks one batch as a client's (leader) append; throws ``LogAppendError``.
    mutating func validate(_ header: BatchHeader) throws -> Outcome {
        guard header.hasProducerId else { return .append }
        let current = updated[header.producerId] ?? table[header.producerId]
        guard let entry = current else { return .append }
        if let dup = entry.duplicate(epoch: header.producerEpoch, firstSequence: header.baseSequence,
                                     lastSequence: header.lastSequence) {
            return .duplicate(dup)
        }
        if header.producerEpoch < entry.producerEpoch {
            throw LogAppendError.invalidProducerEpoch(current: entry.producerEpoch, received: header.producerEpoch)
        }
        if header.isControl { return .append }
        if header.producerEpoch > entry.producerEpoch {
            if header.baseSequence != 0 && entry.producerEpoch >= 0 {
                throw LogAppendError.outOfOrderSequence(expected: 0, received: header.baseSequence)
            }
        } else if let last = entry.lastSequence, !Self.inSequence(last: last, next: header.baseSequence) {
            throw LogAppendError.outOfOrderSequence(expected: last == Int32.max ? 0 : last + 1,
                                                    received: header.baseSequence)
        }
        return .append
    }

    /// Records a batch (with its assigned offsets) as appended by this append.
    mutating func record(_ header: BatchHeader) {
        guard header.hasProducerId else { return }
        var entry = updated[header.producerId] ?? table[header.producerId]
            ?? ProducerStateEntry(producerId: header.producerId, producerEpoch: header.producerEpoch)
        entry.add(header)
        updated[header.producerId] = entry
    }

    static func inSequence(last: Int32, next: Int32) -> Bool {
        next == (last == Int32.max ? 0 : last + 1)
    }
}
