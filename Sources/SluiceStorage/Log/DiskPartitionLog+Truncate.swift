import KafkaProtocol
import SluiceBase

extension DiskPartitionLog {
    /// Removes every batch at or after `offset` (a follower truncating its divergent tail). A
    /// batch that holds `offset` goes whole, so the log end may land below `offset`. Below the
    /// log start, the log is emptied and restarts at `offset`.
    public func truncate(to offset: Int64) throws {
        let lowered: Bool = try locked { state in
            guard offset < state.logEndOffset else { return false }
            if offset < state.logStartOffset {
                try truncateFully(state, startingAt: offset)
                return true
            }
            let interval = Int(state.config.indexIntervalBytes)
            while state.segments.count > 1 && state.segments.active.baseOffset > offset {
                let removed = state.segments.remove((state.segments.count - 1)..<state.segments.count)
                for segment in removed { try segment.delete() }
            }
            try state.segments.active.truncate(to: offset, indexIntervalBytes: interval)
            try afterTruncation(state)
            return true
        }
        if lowered { report(.recoveryPointLowered) }
    }

    /// Empties the log and restarts it at `offset` (a follower whose leader's log starts past
    /// its end, or a truncation below the log start).
    public func truncateFullyAndStart(at offset: Int64) throws {
        try locked { state in try truncateFully(state, startingAt: offset) }
        report(.recoveryPointLowered)
        report(.logStartOffsetMoved)
    }

    private func truncateFully(_ state: LogState, startingAt offset: Int64) throws {
        let fresh = try Segment.create(directory: directory, baseOffset: offset, faults: faults, now: Posix.nowMs())
        for segment in state.segments.segments {
            // A segment at the same base shares its file name with the fresh one: just close it.
            if segment.baseOffset == offset { segment.close() } else { try segment.delete() }
        }
        state.segments = SegmentList([fresh])
        state.logStartOffset = offset
        try FileSystem.fsyncDirectory(directory)
        try afterTruncation(state)
    }

    /// Re-establishes the derived state after the log end moved back.
    private func afterTruncation(_ state: LogState) throws {
        let logEnd = state.logEndOffset
        state.highWatermark = min(max(state.highWatermark, state.logStartOffset), logEnd)
        state.recoveryPoint = min(state.recoveryPoint, logEnd)
        state.logStartOffset = min(state.logStartOffset, logEnd)
        if state.epochs.truncate(fromEnd: logEnd) || state.epochs.truncate(fromStart: state.logStartOffset) {
            try state.epochs.write(directory: directory, faults: faults)
        }
        ProducerStateSnapshot.prune(directory: directory, above: logEnd, keep: 3)
        let loader = LogLoader(directory: directory, config: state.config, logger: logger, faults: faults, now: Posix.nowMs())
        state.producers = try loader.rebuildProducerState(state.segments, logStart: state.logStartOffset, logEnd: logEnd)
        state.unflushedMessages = 0
    }

    /// Moves the log start to `offset` (DeleteRecords). `offset` may not pass the high watermark
    /// (OFFSET_OUT_OF_RANGE, as in Kafka). Segments wholly below the new start are deleted now;
    /// reads below it fail with OFFSET_OUT_OF_RANGE.
    public func deleteRecords(before offset: Int64) throws {
        let moved: Bool = try locked { state in
            guard offset <= state.highWatermark, offset >= 0 else {
                throw StorageError.offsetOutOfRange(requested: offset, logStart: state.logStartOffset,
                                                    logEnd: state.highWatermark)
            }
            guard offset > state.logStartOffset else { return false }
            state.logStartOffset = offset
            if state.epochs.truncate(fromStart: offset) {
                try state.epochs.write(directory: directory, faults: faults)
            }
            try deleteSegmentsBelowLogStart(state)
            return true
        }
        if moved { report(.logStartOffsetMoved) }
    }

    /// Deletes leading segments that end at or below the log start (rolling first when that is
    /// the active segment).
    func deleteSegmentsBelowLogStart(_ state: LogState) throws {
        var count = 0
        for i in 0..<state.segments.count {
            let end = state.segments.nextBase(after: i) ?? state.logEndOffset
            guard end <= state.logStartOffset, !(i == state.segments.count - 1 && state.segments[i].isEmpty) else { break }
            count += 1
        }
        try deleteLeadingSegments(state, count: count)
    }

    /// Removes the first `count` segments; the active one is replaced by a new empty segment at
    /// the log end. The log start moves to the new first segment if it was below it.
    func deleteLeadingSegments(_ state: LogState, count: Int) throws {
        guard count > 0 else { return }
        if count == state.segments.count {
            try roll(state, at: state.logEndOffset, now: Posix.nowMs())
        }
        let removed = state.segments.remove(0..<count)
        for segment in removed {
            try segment.delete()
            logger.debug("deleted segment \(segment.baseOffset) (\(segment.size) bytes)")
        }
        state.logStartOffset = max(state.logStartOffset, state.segments.first!.baseOffset)
        state.highWatermark = max(state.highWatermark, state.logStartOffset)
        state.recoveryPoint = max(state.recoveryPoint, state.logStartOffset)
        if state.epochs.truncate(fromStart: state.logStartOffset) {
            try state.epochs.write(directory: directory, faults: faults)
        }
    }
}
