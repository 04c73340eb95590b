import KafkaProtocol

/// What the log remembers about one appended batch of an idempotent producer.
struct ProducerBatchMetadata: Equatable, Sendable {
    var firstSequence: Int32
    var lastSequence: Int32
    var lastOffset: Int64
    var offsetDelta: Int32
    var timestamp: Int64

    var firstOffset: Int64 { lastOffset - Int64(offsetDelta) }
}

/// One producer id's state: its epoch, its last few batches and its transaction in progress.
struct ProducerStateEntry: Equatable, Sendable {
    /// Kafka remembers the last five batches per producer: a client has at most five requests
    /// in flight, so any retry it sends is one of them.
    static let batchesRetained = 5

    var producerId: Int64
    var producerEpoch: Int16
    var batches: [ProducerBatchMetadata] = []
    var lastTimestamp: Int64 = -1
    /// The epoch of the transaction coordinator that wrote this producer's last marker (-1: none).
    var coordinatorEpoch: Int32 = -1
    /// The first offset of the producer's transaction in progress in this partition, if any.
    var currentTxnFirstOffset: Int64?

    var lastSequence: Int32? { batches.last?.lastSequence }
    var lastOffset: Int64? { batches.last?.lastOffset }

    /// The remembered batch with exactly these sequence numbers, for the same epoch.
    func duplicate(epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> ProducerBatchMetadata? {
        guard epoch == producerEpoch else { return nil }
        return batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }

    /// Records a data batch (a newer epoch forgets the older epoch's batches).
    mutating func add(_ header: BatchHeader) {
        takeEpoch(header.producerEpoch)
        lastTimestamp = max(lastTimestamp, header.maxTimestamp)
        guard !header.isControl, header.baseSequence >= 0 else { return }
        batches.append(ProducerBatchMetadata(
            firstSequence: header.baseSequence, lastSequence: header.lastSequence,
            lastOffset: header.lastOffset, offsetDelta: header.lastOffsetDelta, timestamp: header.maxTimestamp))
        if batches.count > Self.batchesRetained { batches.removeFirst(batches.count - Self.batchesRetained) }
    }

    private mutating func takeEpoch(_ epoch: Int16) {
        if epoch != producerEpoch {
            producerEpoch = epoch
            batches.removeAll()
        }
    }

    /// What one batch does to the producer's transaction, as Kafka's `ProducerAppendInfo` decides
    /// it: a transactional data batch starts a transaction when none is in progress; a marker
    /// (a control batch with an end-transaction record) ends the one in progress. An empty
    /// control batch (compaction left it) or another kind of control record changes nothing.
    mutating func apply(_ header: BatchHeader, marker: EndTransactionMarker?) -> TransactionChange {
        if header.isControl {
            guard let marker else { return .none }
            takeEpoch(header.producerEpoch)
            lastTimestamp = max(lastTimestamp, header.maxTimestamp)
            coordinatorEpoch = marker.coordinatorEpoch
            guard let first = currentTxnFirstOffset else { return .none }
            currentTxnFirstOffset = nil
            return .ended(firstOffset: first, aborted: !marker.commit)
        }
        add(header)
        if header.isTransactional && currentTxnFirstOffset == nil {
            currentTxnFirstOffset = header.baseOffset
            return .started(firstOffset: header.baseOffset)
        }
        return .none
    }

    enum TransactionChange: Equatable {
        case none
        case started(firstOffset: Int64)
        case ended(firstOffset: Int64, aborted: Bool)
    }
}

/// A transaction whose marker was just appended (Kafka's `CompletedTxn`).
struct CompletedTransaction: Equatable, Sendable {
    var producerId: Int64
    var firstOffset: Int64
    /// The marker's offset.
    var lastOffset: Int64
    var aborted: Bool
    /// The last stable offset once this transaction is out of the way (for the transaction
    /// index): the first offset of the earliest transaction still in progress, or the offset
    /// after the marker.
    var lastStableOffset: Int64

    var abortedTransaction: AbortedTransaction {
        AbortedTransaction(producerId: producerId, firstOffset: firstOffset, lastOffset: lastOffset,
                           lastStableOffset: lastStableOffset)
    }
}

/// Idempotent and transactional producers' state for one partition: duplicate and sequence
/// checks, and the transactions in progress that hold back the last stable offset.
///
/// Kafka's rules (`ProducerAppendInfo`): a batch repeating one of the producer's last five
/// batches (same epoch and sequence range) is a duplicate; an older epoch is fenced
/// (INVALID_PRODUCER_EPOCH); a new epoch must start at sequence 0; within an epoch, sequences
/// follow on without gaps (wrapping at Int32.max); an unknown producer (never seen, or whose data
/// retention removed) may start at any sequence.
///
/// Transactions (Kafka's `ProducerStateManager`): a transaction is *ongoing* from its first
/// transactional batch until its marker, then *unreplicated* until the high watermark passes the
/// marker. The first offset of the earliest of either is the first unstable offset; the last
/// stable offset is that or the high watermark, whichever is lower.
///
/// Rebuilt after a restart from the latest snapshot at or below the log end plus the batches
/// after it (see ``ProducerStateSnapshot``).
struct ProducerStateTable: Equatable, Sendable {
    private(set) var entries: [Int64: ProducerStateEntry] = [:]
    /// Transactions in progress: first offset → producer id.
    private(set) var ongoing: [Int64: Int64] = [:]
    /// Ended transactions whose marker is not yet below the high watermark: first offset → the
    /// marker's offset.
    private(set) var unreplicated: [Int64: Int64] = [:]

    var count: Int { entries.count }
    subscript(_ producerId: Int64) -> ProducerStateEntry? { entries[producerId] }

    init(entries: [Int64: ProducerStateEntry] = [:]) {
        for entry in entries.values { set(entry) }
    }

    static func == (lhs: ProducerStateTable, rhs: ProducerStateTable) -> Bool {
        lhs.entries == rhs.entries && lhs.ongoing == rhs.ongoing
    }

    /// The first offset of the earliest transaction that is undecided or whose marker is not yet
    /// replicated; nil when there is none.
    var firstUnstableOffset: Int64? {
        switch (ongoing.keys.min(), unreplicated.keys.min()) {
        case let (a?, b?): return min(a, b)
        case let (a, b): return a ?? b
        }
    }

    /// The first offset of the earliest transaction still undecided (no marker yet).
    var firstUndecidedOffset: Int64? { ongoing.keys.min() }

    /// Records a batch already in the log (recovery, follower appends, and the leader after its
    /// checks); returns the transaction its marker ended, if any. A batch of an older epoch than
    /// the producer's is ignored (the leader refused such batches).
    @discardableResult
    mutating func replay(_ header: BatchHeader, marker: EndTransactionMarker? = nil) -> CompletedTransaction? {
        guard header.hasProducerId else { return nil }
        var entry = entries[header.producerId]
            ?? ProducerStateEntry(producerId: header.producerId, producerEpoch: header.producerEpoch)
        if header.producerEpoch < entry.producerEpoch { return nil }
        let change = entry.apply(header, marker: marker)
        entries[header.producerId] = entry
        switch change {
        case .none:
            return nil
        case let .started(first):
            ongoing[first] = header.producerId
            return nil
        case let .ended(first, aborted):
            ongoing.removeValue(forKey: first)
            unreplicated[first] = header.baseOffset
            return CompletedTransaction(producerId: header.producerId, firstOffset: first, lastOffset: header.baseOffset,
                                        aborted: aborted, lastStableOffset: firstUndecidedOffset ?? header.baseOffset + 1)
        }
    }

    mutating func set(_ entry: ProducerStateEntry) {
        if let old = entries[entry.producerId]?.currentTxnFirstOffset { ongoing.removeValue(forKey: old) }
        entries[entry.producerId] = entry
        if let first = entry.currentTxnFirstOffset { ongoing[first] = entry.producerId }
    }

    /// Transactions whose marker is now below the high watermark are stable.
    mutating func highWatermarkMoved(to highWatermark: Int64) {
        if unreplicated.isEmpty { return }
        unreplicated = unreplicated.filter { $0.value >= highWatermark }
    }

    /// Forgets producers whose last write is older than `producer.id.expiration.ms`, except those
    /// with a transaction in progress (as Kafka keeps them).
    mutating func expire(now: Int64, expirationMs: Int64) {
        entries = entries.filter { now - $0.value.lastTimestamp < expirationMs || $0.value.currentTxnFirstOffset != nil }
    }

    /// The offsets of each producer's last batch (the cleaner keeps those batches' headers).
    var lastBatchOffsets: Set<Int64> {
        Set(entries.values.compactMap(\.lastOffset))
    }
}

/// Sequence, epoch and transaction validation for the batches of one leader append, against the
/// table plus the batches earlier in the same append.
struct ProducerAppendValidator {
    enum Outcome {
        case append
        case duplicate(ProducerBatchMetadata)
    }

    private let table: ProducerStateTable
    private let origin: AppendOrigin
    private(set) var updated: [Int64: ProducerStateEntry] = [:]

    init(table: ProducerStateTable, origin: AppendOrigin = .client) {
        self.table = table
        self.origin = origin
    }

    /// Checks one batch (with its assigned offsets) as a leader append; throws ``LogAppendError``.
    /// Clients' batches get every check; the coordinators' (markers, transactional offset
    /// commits) only the epoch and transaction checks, as in Kafka.
    mutating func validate(_ header: BatchHeader, marker: EndTransactionMarker? = nil) throws -> Outcome {
        guard header.hasProducerId else { return .append }
        let current = updated[header.producerId] ?? table[header.producerId]
        guard let entry = current else {
            if header.isControl && marker == nil {
                throw LogAppendError.invalidBatch(.invalidRecord("a control batch without an end-transaction marker"))
            }
            return .append
        }
        if origin == .client, let dup = entry.duplicate(epoch: header.producerEpoch, firstSequence: header.baseSequence,
                                                        lastSequence: header.lastSequence) {
            return .duplicate(dup)
        }
        if header.producerEpoch < entry.producerEpoch {
            throw LogAppendError.invalidProducerEpoch(current: entry.producerEpoch, received: header.producerEpoch)
        }
        if header.isControl {
            guard let marker else {
                throw LogAppendError.invalidBatch(.invalidRecord("a control batch without an end-transaction marker"))
            }
            if marker.coordinatorEpoch < entry.coordinatorEpoch {
                throw LogAppendError.coordinatorFenced(current: entry.coordinatorEpoch, received: marker.coordinatorEpoch)
            }
            return .append
        }
        if entry.currentTxnFirstOffset != nil && !header.isTransactional {
            throw LogAppendError.invalidTxnState(
                "expected a transactional write from producer \(header.producerId): its transaction started at offset \(entry.currentTxnFirstOffset!)")
        }
        guard origin == .client else { return .append }
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
    mutating func record(_ header: BatchHeader, marker: EndTransactionMarker? = nil) {
        guard header.hasProducerId else { return }
        var entry = updated[header.producerId] ?? table[header.producerId]
            ?? ProducerStateEntry(producerId: header.producerId, producerEpoch: header.producerEpoch)
        _ = entry.apply(header, marker: marker)
        updated[header.producerId] = entry
    }

    static func inSequence(last: Int32, next: Int32) -> Bool {
        next == (last == Int32.max ? 0 : last + 1)
    }
}

/// Who asks the leader to append: a client's produce (every check), or a coordinator of this
/// cluster — transaction markers, the group coordinator's transactional offset commits — whose
/// batches carry no sequence numbers worth checking (Kafka's `AppendOrigin.COORDINATOR`).
public enum AppendOrigin: Sendable, Equatable {
    case client
    case coordinator
}

/// One producer's state in a partition, as DescribeProducers shows it.
public struct ProducerSummary: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    /// -1 when the producer has written no sequenced batch that is remembered.
    public var lastSequence: Int32
    public var lastTimestamp: Int64
    public var coordinatorEpoch: Int32
    /// -1 when no transaction is in progress.
    public var currentTxnStartOffset: Int64
}

extension ProducerStateTable {
    var summaries: [ProducerSummary] {
        entries.values.sorted { $0.producerId < $1.producerId }.map {
            ProducerSummary(producerId: $0.producerId, producerEpoch: $0.producerEpoch, lastSequence: $0.lastSequence ?? -1,
                            lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch,
                            currentTxnStartOffset: $0.currentTxnFirstOffset ?? -1)
        }
    }
}
