import KafkaProtocol

/// What the cleaner may compact in one log, captured under the log's lock: the cleanable
/// segments and where their dirty part begins. The cleaner opens one segment at a time (see
/// ``DiskPartitionLog/duplicateIfUnchanged(_:)``), so a log of many segments costs one
/// descriptor, not one per segment.
final class CleaningPlan {
    struct Source {
        let segment: Segment
        let size: Int
        let truncations: Int
        let baseOffset: Int64
        /// The next segment's base offset: this segment holds offsets below it.
        let end: Int64
        let maxTimestamp: Int64
        /// Whether the segment was already cleaned (it lies wholly below the first dirty offset).
        let isClean: Bool
    }

    let sources: [Source]
    let firstDirty: Int64
    let cleanableEnd: Int64
    let dirtyBytes: Int
    let cleanBytes: Int
    let config: LogConfig
    /// Last offsets of each idempotent producer's last batch: those batches keep their header.
    let producerLastOffsets: Set<Int64>

    init(sources: [Source], firstDirty: Int64, cleanableEnd: Int64, dirtyBytes: Int, cleanBytes: Int,
         config: LogConfig, producerLastOffsets: Set<Int64>) {
        self.sources = sources
        self.firstDirty = firstDirty
        self.cleanableEnd = cleanableEnd
        self.dirtyBytes = dirtyBytes
        self.cleanBytes = cleanBytes
        self.config = config
        self.producerLastOffsets = producerLastOffsets
    }

    var dirtyRatio: Double { dirtyBytes == 0 ? 0 : Double(dirtyBytes) / Double(dirtyBytes + cleanBytes) }
}

extension DiskPartitionLog {
    /// The cleanable part of a compacted log (Kafka's `LogCleanerManager`): whole segments below
    /// the active one, the high watermark, and any segment newer than `min.compaction.lag.ms`.
    /// Nil when the log is not compacted, has nothing dirty, or its dirty ratio is below
    /// `min.cleanable.dirty.ratio` (unless `force`, or a dirty segment is older than
    /// `max.compaction.lag.ms`).
    func cleaningPlan(firstDirty checkpointed: Int64?, now: Int64, force: Bool = false) throws -> CleaningPlan? {
        try locked { state in
            let config = state.config
            guard config.cleanupPolicy.contains(.compact) else { return nil }
            let segments = state.segments
            var firstDirty = max(checkpointed ?? state.logStartOffset, state.logStartOffset)
            if firstDirty > state.logEndOffset { firstDirty = state.logStartOffset }
            let uncleanable = min(segments.active.baseOffset, state.highWatermark)
            var sources: [CleaningPlan.Source] = []
            var dirtyBytes = 0
            var cleanBytes = 0
            var overdue = false
            for i in 0..<(segments.count - 1) {
                let segment = segments[i]
                let end = segments.nextBase(after: i)!
                guard end <= uncleanable else { break }
                if config.minCompactionLagMs > 0 && !segment.isEmpty && now - segment.maxTimestamp < config.minCompactionLagMs {
                    break
                }
                let isClean = end <= firstDirty
                if isClean {
                    cleanBytes += segment.size
                } else {
                    dirtyBytes += segment.size
                    if config.maxCompactionLagMs != Int64.max, let first = segment.rollingBaseTimestamp(),
                       now - first > config.maxCompactionLagMs { overdue = true }
                }
                sources.append(CleaningPlan.Source(
                    segment: segment, size: segment.size,
                    truncations: segment.truncations, baseOffset: segment.baseOffset, end: end,
                    maxTimestamp: segment.maxTimestamp, isClean: isClean))
            }
            let plan = CleaningPlan(sources: sources, firstDirty: firstDirty, cleanableEnd: sources.last?.end ?? firstDirty,
                                    dirtyBytes: dirtyBytes, cleanBytes: cleanBytes, config: config,
                                    producerLastOffsets: state.producers.lastBatchOffsets)
            // Forced cleanings also rewrite an all-clean log (dropping expired tombstones).
            guard dirtyBytes > 0 || (force && cleanBytes > 0) else { return nil }
            guard force || overdue || plan.dirtyRatio >= config.minCleanableDirtyRatio else { return nil }
            return plan
        }
    }

    /// A descriptor of the source's segment file for the cleaner to read without the lock; nil
    /// when the segment is gone or changed since the plan (the cleaner then gives up this pass).
    func duplicateIfUnchanged(_ source: CleaningPlan.Source) throws -> StorageFile? {
        try locked { state in
            guard state.segments.index(of: source.segment) != nil, source.segment.truncations == source.truncations,
                  source.segment.size == source.size else { return nil }
            return try source.segment.file.duplicate()
        }
    }

    /// Swaps a cleaned segment in for `sources` (consecutive segments of a plan), unless the log
    /// changed under the cleaner (truncation, retention, deletion): then returns false and the
    /// caller discards the cleaned file.
    ///
    /// Crash safety: the cleaned file becomes `<base>-<end>.log.swap` (fsynced) before any old
    /// segment is removed, so a crash at any point leaves either the old segments or a swap file
    /// that the loader completes.
    func replaceSegments(_ sources: ArraySlice<CleaningPlan.Source>, with cleaned: Segment) throws -> Bool {
        try locked { state in
            guard let first = sources.first, let at = state.segments.index(of: first.segment) else { return false }
            for (k, source) in sources.enumerated() {
                guard at + k < state.segments.count - 1, state.segments[at + k] === source.segment,
                      source.segment.truncations == source.truncations, source.segment.size == source.size
                else { return false }
            }
            let endIndex = at + sources.count
            let end = state.segments[endIndex].baseOffset
            try markOffsetGaps(state)
            let swap = SegmentFiles.swapPath(directory, base: first.baseOffset, end: end)
            try FileSystem.rename(cleaned.file.path, swap)
            try FileSystem.fsyncDirectory(directory)
            do {
                for source in sources { try source.segment.delete() }
                try FileSystem.rename(swap, cleaned.logPath)
                try FileSystem.fsyncDirectory(directory)
            } catch {
                // The old segments are partly gone: only a restart (which completes the swap)
                // can make this log whole again.
                logger.error("compaction swap of \(first.baseOffset)..<\(end) failed halfway: \(error); closing the log")
                for segment in state.segments.segments { segment.close() }
                state.closed = true
                throw error
            }
            state.segments.replace(at..<endIndex, with: cleaned)
            do {
                try cleaned.persistIndexes()
                try FileSystem.fsyncDirectory(directory)
            } catch {
                logger.warning("could not write the indexes of cleaned segment \(first.baseOffset): \(error)")
            }
            return true
        }
    }
}
