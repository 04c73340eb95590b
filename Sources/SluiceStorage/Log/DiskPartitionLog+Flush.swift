import KafkaProtocol
import SluiceBase

extension DiskPartitionLog {
    /// fsyncs everything appended so far and moves the recovery point to the log end.
    public func flush() throws {
        try flush(upTo: Int64.max)
    }

    /// fsyncs the segments below `offset` (all of them for `Int64.max`), writes the index files
    /// of the inactive ones, and moves the recovery point as far as that makes the log durable.
    ///
    /// The data files are fsynced outside the log's lock, on duplicated descriptors, so appends
    /// and reads continue meanwhile; index files and the recovery point are updated under it.
    func flush(upTo offset: Int64) throws {
        struct Pending {
            let segment: Segment
            let file: StorageFile
            let size: Int
            let truncations: Int
        }
        let pending: [Pending] = try locked { state in
            var out: [Pending] = []
            for segment in state.segments.segments where segment.baseOffset < offset && segment.syncedSize < segment.size {
                out.append(Pending(segment: segment, file: try segment.file.duplicate(), size: segment.size,
                                   truncations: segment.truncations))
            }
            return out
        }
        defer { for p in pending { p.file.close() } }
        for p in pending { try p.file.sync() }
        try locked { state in
            for p in pending where p.segment.truncations == p.truncations {
                p.segment.syncedSize = max(p.segment.syncedSize, min(p.size, p.segment.size))
            }
            let active = state.segments.active
            // The recovery point: the start of the first segment that is not yet durable (data
            // not fsynced, or an inactive segment without index files), else the log end.
            var durableTo = state.logEndOffset
            var wroteIndexes = false
            for segment in state.segments.segments {
                if segment.syncedSize < segment.size {
                    durableTo = segment.baseOffset
                    break
                }
                if segment !== active && !segment.indexesPersisted {
                    do {
                        try segment.persistIndexes()
                        wroteIndexes = true
                    } catch {
                        logger.warning("could not write the indexes of segment \(segment.baseOffset): \(error)")
                        durableTo = segment.baseOffset
                        break
                    }
                }
            }
            // New segment files' directory entries must be durable too.
            if wroteIndexes || !pending.isEmpty { try FileSystem.fsyncDirectory(directory) }
            state.recoveryPoint = max(state.recoveryPoint, durableTo)
            if durableTo >= state.logEndOffset {
                state.unflushedMessages = 0
                state.lastFlushMs = Posix.nowMs()
            }
        }
    }

    /// Flushes when `flush.ms` has passed since the last flush (the background flusher's check).
    func flushIfDue(now: Int64) throws {
        let due = try locked { state in
            state.config.flushMs != Int64.max && state.unflushedMessages > 0 && now - state.lastFlushMs >= state.config.flushMs
        }
        if due { try flush() }
    }

    /// Closes the log cleanly: flushes data and every index (the active segment's too), writes a
    /// producer snapshot at the log end and the epoch checkpoint, then closes the files. After
    /// this the directory loads without a scan. Reads already handed out stay valid.
    public func close() throws {
        try flush()
        try lock.withLock {
            if state.closed { return }
            let logEnd = state.logEndOffset
            try state.segments.active.cutStaleTail()
            try state.segments.active.persistIndexes()
            try ProducerStateSnapshot.write(state.producers, at: logEnd, directory: directory, faults: faults)
            ProducerStateSnapshot.prune(directory: directory, above: logEnd, keep: 3)
            try state.epochs.write(directory: directory, faults: faults)
            try FileSystem.fsyncDirectory(directory)
            state.recoveryPoint = logEnd
            for segment in state.segments.segments { segment.close() }
            state.closed = true
        }
    }

    /// Closes the files without flushing anything: what a crash leaves behind (for tests and
    /// for a log whose disk failed).
    public func closeWithoutFlush() {
        lock.withLock {
            for segment in state.segments.segments { segment.close() }
            state.closed = true
        }
    }
}
