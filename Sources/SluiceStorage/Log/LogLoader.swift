import Logging

/// Opens a partition directory and brings it to a consistent state (Kafka's `LogLoader`).
///
/// 1. Removes leftovers of interrupted operations (`*.tmp`, `*.cleaned`, orphan indexes) and
///    completes interrupted compaction swaps (`<base>-<end>.log.swap`).
/// 2. After a clean shutdown, trusts the index files (sanity-checked) and reads only the headers
///    after each segment's last index entry. After an unclean stop, trusts only segments wholly
///    below the recovery point; from the segment holding the recovery point on, validates every
///    batch (CRC included), rebuilds the indexes, cuts the file at the first torn or corrupt
///    batch, and removes every later segment.
/// 3. Restores the log start offset, high watermark and leader epochs, and rebuilds producer
///    state from the newest snapshot at or below the log end plus the batches after it.
struct LogLoader {
    let directory: String
    let config: LogConfig
    let logger: Logger
    let faults: StorageFaults?
    let now: Int64

    func load(cleanShutdown: Bool, recoveryPoint checkpointedRecoveryPoint: Int64?, logStartOffset checkpointedStart: Int64?,
              highWatermark checkpointedHighWatermark: Int64?) throws -> LogState {
        var mustRecover = try removeLeftovers()
        mustRecover.formUnion(try completeSwaps())
        let bases = try FileSystem.listDirectory(directory)
            .compactMap { SegmentFiles.offset(in: $0, suffix: SegmentFiles.logSuffix) }
            .sorted()
        var segments: [Segment] = []
        let checkpointedEpochs = LeaderEpochCache.read(directory: directory)
        var epochs = checkpointedEpochs ?? LeaderEpochCache()
        let epochsBefore = epochs
        let gapless = !OffsetGapsMarker.exists(directory)
        let recoveryPoint = cleanShutdown ? Int64.max : (checkpointedRecoveryPoint ?? 0)
        // The first segment to recover: the one holding the recovery point (the last one whose
        // base is <= it), or the first segment when the recovery point is below all of them.
        let firstUnflushed = bases.lastIndex(where: { $0 <= recoveryPoint }) ?? 0
        var recovered: [Segment] = []
        var i = 0
        while i < bases.count {
            let base = bases[i]
            let segment = try Segment.open(directory: directory, baseOffset: base, faults: faults, now: now)
            if let previous = segments.last, base < previous.nextOffset || (gapless && base != previous.nextOffset) {
                logger.warning("segment \(base) does not follow the previous one (ends at \(previous.nextOffset)); removing it and later segments")
                segment.close()
                try deleteSegments(bases[i...])
                break
            }
            let trusted = (cleanShutdown || i < firstUnflushed) && !mustRecover.contains(base)
            if trusted, try segment.loadTrustedIndexes() {
                segments.append(segment)
                i += 1
                continue
            }
            let (cut, reason) = try segment.recover(indexIntervalBytes: Int(config.indexIntervalBytes),
                                                    expectedFirstOffset: gapless ? base : nil) { header in
                // The checkpoint is written before any batch of a new epoch: a batch whose epoch
                // disagrees with it has a damaged header (the field is outside the CRC).
                let epoch = header.partitionLeaderEpoch
                if let expected = checkpointedEpochs?.epoch(forOffset: header.baseOffset), expected != epoch {
                    return "leader epoch \(epoch), but the epoch checkpoint says \(expected)"
                }
                if epoch > (epochs.latestEpoch ?? -1) { epochs.assign(epoch: epoch, startOffset: header.baseOffset) }
                return nil
            }
            segments.append(segment)
            recovered.append(segment)
            if cut > 0 {
                logger.warning("recovery cut \(cut) bytes from segment \(base): \(reason ?? "invalid data")")
                if i + 1 < bases.count {
                    logger.warning("removing \(bases.count - i - 1) segments after the cut in segment \(base)")
                    try deleteSegments(bases[(i + 1)...])
                }
                break
            }
            i += 1
        }
        if segments.isEmpty {
            let base = max(checkpointedStart ?? 0, 0)
            segments.append(try Segment.create(directory: directory, baseOffset: base, faults: faults, now: now))
        }
        var list = SegmentList(segments)
        var logEnd = list.active.nextOffset
        var logStart = max(checkpointedStart ?? list.first!.baseOffset, list.first!.baseOffset)
        if logStart > logEnd {
            // The log lost data the checkpoint had (or DeleteRecords passed the end): start afresh.
            logger.warning("log start offset \(logStart) is beyond the log end \(logEnd); emptying the log")
            for segment in list.segments { try segment.delete() }
            list = SegmentList([try Segment.create(directory: directory, baseOffset: logStart, faults: faults, now: now)])
            recovered = []
            logEnd = logStart
        }
        logStart = min(logStart, logEnd)

        // Recovered data is durable once synced; inactive recovered segments get index files.
        for segment in recovered {
            try segment.sync()
            if segment !== list.active { try segment.persistIndexes() }
        }
        if !recovered.isEmpty { try FileSystem.fsyncDirectory(directory) }
        let recoveryPointAfter = logEnd

        epochs.truncate(fromEnd: logEnd)
        epochs.truncate(fromStart: logStart)
        if epochs != epochsBefore { try epochs.write(directory: directory, faults: faults) }

        let producers = try rebuildProducerState(list, logStart: logStart, logEnd: logEnd)
        let highWatermark = min(max(checkpointedHighWatermark ?? logStart, logStart), logEnd)
        return LogState(config: config, segments: list, logStartOffset: logStart, highWatermark: highWatermark,
                        recoveryPoint: recoveryPointAfter, producers: producers, epochs: epochs,
                        hasOffsetGaps: !gapless, now: now)
    }

    /// Deletes temp and half-written files; returns the bases whose index files were orphaned or
    /// whose segments must be validated.
    private func removeLeftovers() throws -> Set<Int64> {
        let names = try FileSystem.listDirectory(directory)
        let logs = Set(names.compactMap { SegmentFiles.offset(in: $0, suffix: SegmentFiles.logSuffix) })
        for name in names {
            let path = "\(directory)/\(name)"
            if name.hasSuffix(".tmp") || name.hasSuffix(SegmentFiles.cleanedSuffix) || name.hasSuffix(".deleted") {
                try FileSystem.unlinkIfPresent(path)
            } else if let base = SegmentFiles.offset(in: name, suffix: SegmentFiles.indexSuffix)
                        ?? SegmentFiles.offset(in: name, suffix: SegmentFiles.timeIndexSuffix),
                      !logs.contains(base) {
                try FileSystem.unlinkIfPresent(path)
            }
        }
        return []
    }

    /// Finishes compaction swaps a crash interrupted: the swap file replaces every segment whose
    /// base offset lies in its range. Returns the bases of the segments swapped in.
    private func completeSwaps() throws -> Set<Int64> {
        var swapped: Set<Int64> = []
        for name in try FileSystem.listDirectory(directory) {
            guard let (base, end) = SegmentFiles.swapRange(in: name) else { continue }
            // Only the cleaner writes swap files, and it marks the log as having gaps first.
            if !OffsetGapsMarker.exists(directory) { try OffsetGapsMarker.write(directory, faults: faults) }
            let doomed = try FileSystem.listDirectory(directory)
                .compactMap { SegmentFiles.offset(in: $0, suffix: SegmentFiles.logSuffix) }
                .filter { $0 >= base && $0 < end }
            try deleteSegments(doomed[...])
            try FileSystem.rename("\(directory)/\(name)", SegmentFiles.path(directory, base, SegmentFiles.logSuffix))
            try FileSystem.fsyncDirectory(directory)
            logger.info("completed the interrupted compaction swap of segments \(base)..<\(end)")
            swapped.insert(base)
        }
        return swapped
    }

    private func deleteSegments(_ bases: ArraySlice<Int64>) throws {
        for base in bases {
            for suffix in [SegmentFiles.logSuffix, SegmentFiles.indexSuffix, SegmentFiles.timeIndexSuffix] {
                try FileSystem.unlinkIfPresent(SegmentFiles.path(directory, base, suffix))
            }
        }
    }

    /// The producer table at the log end: newest snapshot at or below it, then the batches after.
    func rebuildProducerState(_ segments: SegmentList, logStart: Int64, logEnd: Int64) throws -> ProducerStateTable {
        ProducerStateSnapshot.prune(directory: directory, above: logEnd, keep: 3)
        var table = ProducerStateTable()
        var from = segments.first!.baseOffset
        if let (offset, snapshot) = ProducerStateSnapshot.latest(atOrBelow: logEnd, directory: directory) {
            table = snapshot
            from = offset
        }
        try Self.replay(segments, from: from, into: &table)
        return table
    }

    /// Replays the headers of every batch at or after `offset` into `table`.
    static func replay(_ segments: SegmentList, from offset: Int64, into table: inout ProducerStateTable) throws {
        guard let first = segments.floorIndex(offset) ?? (segments.isEmpty ? nil : 0) else { return }
        for i in first..<segments.count {
            let segment = segments[i]
            guard let (start, _) = try segment.translate(max(offset, segment.baseOffset)) else { continue }
            var reader = FileBatchReader(file: segment.file, from: start, end: segment.size, windowSize: 256 * 1024)
            while let (_, header) = try reader.nextHeader() {
                table.replay(header)
            }
        }
    }
}
