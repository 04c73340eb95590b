import KafkaProtocol
import NIOCore
import SluiceBase

extension DiskPartitionLog {
    /// Appends batches as the partition leader (see ``PartitionLog/appendAsLeader(_:leaderEpoch:now:)``).
    ///
    /// The batches are validated first (``LeaderBatchValidation``: sizes, CRC, counts, keys of
    /// compacted topics), outside the log's lock; producer sequences and the leader epoch are
    /// checked under it, against the log's state. With several batches, a duplicate anywhere
    /// answers ``LogAppendError/duplicate(_:)`` for the whole append (produce requests carry one
    /// batch per partition).
    public func appendAsLeader(_ batches: [RecordBatch], leaderEpoch: Int32, now: Int64) throws -> LogAppendInfo {
        let batches = try LeaderBatchValidation.validate(batches, limits: lock.withLock { state.limits })
        if batches.count == 1 && batches[0].totalSize <= Segment.smallWriteBytes {
            return try appendOne(batches[0], leaderEpoch: leaderEpoch, now: now)
        }
        var prepared = PreparedBatches(batches)
        var hasProducers = false
        for i in 0..<prepared.count {
            hasProducers = hasProducers || prepared.header(i).hasProducerId
        }
        var pendingFlush = PendingFlush()
        let info: LogAppendInfo = try locked { state in
            let limits = state.limits
            var validator = hasProducers ? ProducerAppendValidator(table: state.producers) : nil
            var next = state.logEndOffset
            let firstOffset = next
            var records = 0
            for i in 0..<prepared.count {
                let delta = Int64(prepared.header(i).lastOffsetDelta)
                prepared.assign(i, baseOffset: next, leaderEpoch: leaderEpoch)
                if validator != nil, case let .duplicate(original) = try validator!.validate(prepared.header(i)) {
                    throw Self.duplicate(original, limits: limits, state: state)
                }
                if limits.logAppendTime { prepared.setLogAppendTime(i, timestamp: now) }
                validator?.record(prepared.header(i))
                records += Int(prepared.header(i).recordCount)
                next += delta + 1
            }
            try checkLeaderEpoch(leaderEpoch, at: firstOffset, state: state)
            pendingFlush = try appendPrepared(prepared, state: state, now: now)
            return LogAppendInfo(
                firstOffset: firstOffset, lastOffset: next - 1, logAppendTime: limits.logAppendTime ? now : -1,
                logStartOffset: state.logStartOffset, recordCount: records, byteCount: prepared.byteCount)
        }
        try pendingFlush.perform(on: self)
        return info
    }

    /// The answer to an idempotent producer's retry of a batch already in the log.
    static func duplicate(_ original: ProducerBatchMetadata, limits: AppendLimits, state: LogState) -> LogAppendError {
        .duplicate(LogAppendInfo(
            firstOffset: original.firstOffset, lastOffset: original.lastOffset,
            logAppendTime: limits.logAppendTime ? original.timestamp : -1,
            logStartOffset: state.logStartOffset, recordCount: Int(original.offsetDelta) + 1, byteCount: 0))
    }

    /// Records `epoch` as starting at `offset` when it is new; FENCED_LEADER_EPOCH when the log
    /// already holds a later one.
    func checkLeaderEpoch(_ epoch: Int32, at offset: Int64, state: LogState) throws {
        if !state.epochs.isCurrent(epoch, logEndOffset: offset),
           let (requested, latest) = try prepareEpochs(state, for: [(epoch, offset)]) {
            throw StorageError.fencedLeaderEpoch(requested: requested, latest: latest)
        }
    }

    /// Appends batches fetched from the leader: their offsets and epochs are kept as they are.
    /// Each batch is validated (CRC included); offsets must increase from the log end (gaps are
    /// allowed, as compacted leaders have them).
    public func appendAsFollower(_ batches: [RecordBatch]) throws -> LogAppendInfo {
        for batch in batches {
            do { try batch.validate() } catch let e as RecordBatchError { throw LogAppendError.invalidBatch(e) }
        }
        let prepared = PreparedBatches(batches)
        let headers = prepared.headers
        var pendingFlush = PendingFlush()
        let info: LogAppendInfo = try locked { state in
            var expected = state.logEndOffset
            var gaps = false
            for header in headers {
                guard header.baseOffset >= expected else {
                    throw LogAppendError.invalidBatch(.invalidRecord(
                        "follower append at offset \(header.baseOffset) below the expected \(expected)"))
                }
                gaps = gaps || header.baseOffset > expected
                expected = header.nextOffset
            }
            guard let first = headers.first, let last = headers.last else {
                let end = state.logEndOffset
                return LogAppendInfo(firstOffset: end, lastOffset: end - 1, logAppendTime: -1,
                                     logStartOffset: state.logStartOffset, recordCount: 0, byteCount: 0)
            }
            if let (requested, latest) = try prepareEpochs(state, for: headers.map { ($0.partitionLeaderEpoch, $0.baseOffset) }) {
                throw LogAppendError.invalidBatch(.invalidRecord(
                    "leader epoch \(requested) after epoch \(latest): epochs never go backwards in a log"))
            }
            if gaps { try markOffsetGaps(state) }
            pendingFlush = try appendPrepared(prepared, state: state, now: Posix.nowMs())
            return LogAppendInfo(firstOffset: first.baseOffset, lastOffset: last.lastOffset, logAppendTime: -1,
                                 logStartOffset: state.logStartOffset,
                                 recordCount: headers.reduce(0) { $0 + Int($1.recordCount) },
                                 byteCount: prepared.byteCount)
        }
        try pendingFlush.perform(on: self)
        return info
    }

    /// Writes batches with final headers to the active segment, rolling first when they do not
    /// fit (or between them when one run cannot hold them all), and updates producer state.
    /// Returns what to flush (after a roll, or when `flush.messages` is reached), which the
    /// caller does after releasing the lock.
    func appendPrepared(_ prepared: PreparedBatches, state: LogState, now: Int64) throws -> PendingFlush {
        let limits = state.limits
        var flush = PendingFlush()
        var runStart = 0
        while runStart < prepared.count {
            // The longest run from runStart that the active segment (possibly after a roll) holds.
            if let rolledAt = try maybeRoll(state, first: prepared.header(runStart), now: now) { flush.rolledAt = rolledAt }
            let active = state.segments.active
            var runEnd = runStart
            var bytes = 0
            while runEnd < prepared.count {
                let h = prepared.header(runEnd)
                guard active.canHold(bytes: bytes + h.totalSize, lastOffset: h.lastOffset,
                                     segmentBytes: limits.segmentBytes, indexBytes: limits.segmentIndexBytes)
                        || (runEnd == runStart && active.isEmpty) else { break }
                bytes += h.totalSize
                runEnd += 1
            }
            if runStart == 0 && runEnd == prepared.count {
                try write(prepared, to: active, state: state)
            } else {
                var run = PreparedBatches()
                for i in runStart..<runEnd { run.append(try RecordBatch(bytes: prepared.batchBytes(i))) }
                try write(run, to: active, state: state)
            }
            runStart = runEnd
        }
        flush.all = state.unflushedMessages >= limits.flushMessages
        return flush
    }

    /// Writes batches that fit `segment` and accounts for them (producers, unflushed messages).
    private func write(_ run: borrowing PreparedBatches, to segment: Segment, state: LogState) throws {
        try segment.append(run, indexIntervalBytes: state.limits.indexIntervalBytes)
        for i in 0..<run.count {
            let header = run.header(i)
            if header.hasProducerId { state.producers.replay(header) }
            state.unflushedMessages += Int64(header.recordCount)
        }
    }

    /// Rolls to a new segment when the next batch would not fit the active one, or the active one
    /// is older than `segment.ms`. Returns the new segment's base (to flush everything before it).
    func maybeRoll(_ state: LogState, first header: BatchHeader, now: Int64) throws -> Int64? {
        let limits = state.limits
        let active = state.segments.active
        var due = !active.canHold(bytes: header.totalSize, lastOffset: header.lastOffset,
                                  segmentBytes: limits.segmentBytes, indexBytes: limits.segmentIndexBytes)
        if !due && !active.isEmpty {
            let waited = active.rollingBaseTimestamp().map { $0 >= 0 ? header.maxTimestamp - $0 : now - active.createdMs }
                ?? (now - active.createdMs)
            due = waited > limits.segmentMs - state.rollJitterMs
        }
        guard due, !active.isEmpty else { return nil }
        return try roll(state, at: header.baseOffset, now: now)
    }

    /// Starts a new active segment at `offset` (>= the log end); the old one gets its final time
    /// index entry, and a producer snapshot is taken. Returns the new base offset.
    @discardableResult
    func roll(_ state: LogState, at offset: Int64, now: Int64) throws -> Int64 {
        let old = state.segments.active
        if old.isEmpty && old.baseOffset == offset { return offset }
        let segment = try Segment.create(directory: directory, baseOffset: offset, faults: faults, now: now)
        if old.isEmpty {
            _ = state.segments.remove((state.segments.count - 1)..<state.segments.count)
            try? old.delete()
        } else {
            old.sealTimeIndex()
        }
        state.segments.append(segment)
        do {
            try ProducerStateSnapshot.write(state.producers, at: offset, directory: directory, faults: faults)
            ProducerStateSnapshot.prune(directory: directory, above: nil, keep: 3)
        } catch {
            logger.warning("could not write the producer snapshot at \(offset): \(error)")
        }
        logger.debug("rolled to segment \(offset)")
        return offset
    }

    /// Rolls the active segment now (if it holds anything); for tests, tools and retention.
    public func roll(now: Int64? = nil) throws {
        let now = now ?? Posix.nowMs()
        let rolledAt: Int64? = try locked { state in
            guard !state.segments.active.isEmpty else { return nil }
            return try roll(state, at: state.logEndOffset, now: now)
        }
        try PendingFlush(rolledAt: rolledAt).perform(on: self)
    }
}

/// The fsync work an append leaves for after the lock: everything (`flush.messages` reached:
/// done before the append returns), or the segments before a roll (handed to the log
/// manager's background flusher when there is one, as Kafka does, so that the producer whose
/// append rolled does not wait for a segment's worth of fsync).
struct PendingFlush {
    var rolledAt: Int64?
    var all = false

    func perform(on log: DiskPartitionLog) throws {
        if all {
            try log.flush()
        } else if let rolledAt {
            if let schedule = log.rollFlushScheduler {
                schedule(log, rolledAt)
            } else {
                try log.flush(upTo: rolledAt)
            }
        }
    }
}
