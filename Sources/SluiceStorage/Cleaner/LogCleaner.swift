import KafkaProtocol
import Logging
import NIOCore

/// Compacts logs whose `cleanup.policy` includes `compact` (Kafka's `LogCleaner`): the latest
/// record of each key survives, offsets never change, and tombstones (null values) go once they
/// have been through a cleaning and are older than `delete.retention.ms`.
///
/// One cleaning of a log:
/// 1. under the log's lock, a ``CleaningPlan``: the cleanable segments and the first dirty offset;
/// 2. without the lock, a ``KeyOffsetMap`` of the dirty part (bounded by
///    `log.cleaner.dedupe.buffer.size`: a map that fills up ends the cleaning's range early);
/// 3. segments are rewritten in groups of at most `segment.bytes` into `<base>.log.cleaned`,
///    validated like a recovered segment, and swapped in under the lock;
/// 4. the new first dirty offset is returned for `cleaner-offset-checkpoint`.
///
/// Reads and writes go through an ``IoThrottle``; memory is the map plus one read window and one
/// write buffer. Consumers reading during a swap keep reading the old files.
struct LogCleaner: Sendable {
    struct Result: Equatable, Sendable {
        /// Where the next cleaning starts.
        var firstDirty: Int64
        var segmentsBefore: Int
        var segmentsAfter: Int
        var bytesRead: Int
        var bytesWritten: Int
        var recordsRemoved: Int
    }

    let settings: BackgroundSettings
    let logger: Logger

    init(settings: BackgroundSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Cleans `log` if it needs it; nil when there was nothing to do (or the log changed under
    /// the cleaner, which then retries later).
    func clean(_ log: DiskPartitionLog, firstDirty: Int64?, now: Int64, force: Bool = false) throws -> Result? {
        guard let plan = try log.cleaningPlan(firstDirty: firstDirty, now: now, force: force) else { return nil }
        var throttle = IoThrottle(bytesPerSecond: settings.cleanerIoMaxBytesPerSecond)
        var stats = Result(firstDirty: plan.firstDirty, segmentsBefore: 0, segmentsAfter: 0, bytesRead: 0,
                           bytesWritten: 0, recordsRemoved: 0)
        guard let (map, mapEnd) = try buildMap(plan, of: log, throttle: &throttle, stats: &stats) else { return nil }
        // Rewrite every segment holding offsets below the map's end, in groups.
        let sources = plan.sources.filter { $0.baseOffset < mapEnd }
        var groupStart = 0
        while groupStart < sources.count {
            var groupEnd = groupStart + 1
            var bytes = sources[groupStart].size
            while groupEnd < sources.count, bytes + sources[groupEnd].size <= Int(plan.config.segmentBytes),
                  sources[groupEnd].end - sources[groupStart].baseOffset <= Int64(Int32.max) {
                bytes += sources[groupEnd].size
                groupEnd += 1
            }
            let group = sources[groupStart..<groupEnd]
            let swapped = try cleanGroup(group, of: log, plan: plan, map: map, now: now, throttle: &throttle, stats: &stats)
            guard swapped else { return nil }
            stats.segmentsBefore += group.count
            stats.segmentsAfter += 1
            groupStart = groupEnd
        }
        stats.firstDirty = mapEnd
        logger.info("\(log.topicPartition): cleaned \(stats.segmentsBefore) segments into \(stats.segmentsAfter), removed \(stats.recordsRemoved) records, \(stats.bytesRead) bytes read, \(stats.bytesWritten) written")
        return stats
    }

    /// The latest offset of each key in the dirty part, and the offset the map covers up to.
    /// Nil when the log changed meanwhile, or one batch's keys do not fit the budget.
    private func buildMap(_ plan: CleaningPlan, of log: DiskPartitionLog, throttle: inout IoThrottle,
                          stats: inout Result) throws -> (KeyOffsetMap, Int64)? {
        var map = KeyOffsetMap(budget: settings.cleanerDedupeBufferSize)
        for source in plan.sources where source.end > plan.firstDirty {
            guard let file = try log.duplicateIfUnchanged(source) else { return nil }
            defer { file.close() }
            var reader = FileBatchReader(file: file, from: 0, end: source.size, windowSize: settings.cleanerIoBufferSize)
            while let (_, batch) = try reader.nextBatch() {
                stats.bytesRead += batch.totalSize
                throttle.account(batch.totalSize)
                guard batch.lastOffset >= plan.firstDirty else { continue }
                for (key, offset) in BatchFilter.keys(of: batch) ?? [] where !map.put(key, offset: offset) {
                    if map.count == 0 {
                        logger.warning("\(log.topicPartition): log.cleaner.dedupe.buffer.size cannot hold the keys of one batch")
                        return nil
                    }
                    return (map, batch.baseOffset)
                }
            }
        }
        return (map, plan.cleanableEnd)
    }

    /// Writes the survivors of `group` into a new segment and swaps it in.
    private func cleanGroup(_ group: ArraySlice<CleaningPlan.Source>, of log: DiskPartitionLog, plan: CleaningPlan,
                            map: KeyOffsetMap, now: Int64, throttle: inout IoThrottle, stats: inout Result) throws -> Bool {
        let base = group.first!.baseOffset
        let path = SegmentFiles.path(log.directory, base, SegmentFiles.cleanedSuffix)
        let out = try StorageFile(path: path, create: true, faults: log.faults)
        var adopted = false
        defer {
            if !adopted {
                out.close()
                try? FileSystem.unlinkIfPresent(path)
            }
        }
        try out.truncate(to: 0)
        var buffer = ByteBufferAllocator().buffer(capacity: settings.cleanerIoBufferSize)
        var written = 0
        func drain() throws {
            guard buffer.readableBytes > 0 else { return }
            try out.write(buffer, at: written)
            written += buffer.readableBytes
            throttle.account(buffer.readableBytes)
            buffer.clear()
        }
        let horizon = now - plan.config.deleteRetentionMs
        for source in group {
            let dropTombstones = source.isClean && source.maxTimestamp < horizon
            guard let file = try log.duplicateIfUnchanged(source) else { return false }
            defer { file.close() }
            var reader = FileBatchReader(file: file, from: 0, end: source.size, windowSize: settings.cleanerIoBufferSize)
            while let (_, batch) = try reader.nextBatch() {
                stats.bytesRead += batch.totalSize
                throttle.account(batch.totalSize)
                let retainEmpty = batch.hasProducerId && plan.producerLastOffsets.contains(batch.lastOffset)
                let outcome = BatchFilter.filter(batch, retainEmpty: retainEmpty) { record, offset in
                    guard let key = record.key else { return false }
                    if let latest = map.latestOffset(key), latest > offset { return false }
                    return !(record.hasNullValue && dropTombstones)
                }
                switch outcome {
                case .unchanged:
                    buffer.writeImmutableBuffer(batch.bytes)
                case .dropped:
                    stats.recordsRemoved += Int(batch.recordCount)
                case let .rewritten(bytes):
                    let kept = bytes.getInteger(at: bytes.readerIndex + 57, as: Int32.self)!
                    stats.recordsRemoved += Int(batch.recordCount - kept)
                    buffer.writeImmutableBuffer(bytes)
                }
                if buffer.readableBytes >= settings.cleanerIoBufferSize { try drain() }
            }
        }
        try drain()
        try out.sync()
        stats.bytesWritten += written
        // Validate the output as recovery would before it replaces anything.
        let cleaned = Segment.adopt(directory: log.directory, baseOffset: base, file: out, now: now)
        let (cut, reason) = try cleaned.recover(indexIntervalBytes: Int(plan.config.indexIntervalBytes))
        guard cut == 0 else { throw StorageError.corrupt(path: path, reason: "cleaner output failed validation: \(reason ?? "")") }
        cleaned.syncedSize = cleaned.size
        adopted = try log.replaceSegments(group, with: cleaned)
        return adopted
    }
}
