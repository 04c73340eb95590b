/// Kafka's retention rules over whole segments (`UnifiedLog.deleteOldSegments`), in its order:
/// `retention.ms` (the segment's largest timestamp is older), then `retention.bytes` (the log
/// stays above the limit without the segment), then the log start offset (the segment ends at or
/// below it). Only a leading run of segments goes, each one only once the high watermark — and the
/// last stable offset, so that no undecided transaction loses records — has passed its end, and
/// never an empty active segment. Time and size rules apply when
/// `cleanup.policy` includes `delete`; the log start rule always does.
enum RetentionPolicy {
    struct Decision: Equatable {
        var count: Int
        var reason: String
    }

    static func deletable(_ segments: SegmentList, config: LogConfig, logStartOffset: Int64, highWatermark: Int64,
                          logEndOffset: Int64, now: Int64) -> Decision {
        var deleted = 0
        var reasons: [String] = []

        /// Extends the deleted prefix while `predicate` holds for the next segment.
        func take(_ reason: String, _ predicate: (Segment) -> Bool) {
            let before = deleted
            while deleted < segments.count {
                let segment = segments[deleted]
                let end = segments.nextBase(after: deleted) ?? logEndOffset
                let lastAndEmpty = deleted == segments.count - 1 && segment.isEmpty
                guard highWatermark >= end, !lastAndEmpty, predicate(segment) else { break }
                deleted += 1
            }
            if deleted > before { reasons.append("\(reason) (\(deleted - before) segments)") }
        }

        if config.cleanupPolicy.contains(.delete) {
            if config.retentionMs >= 0 {
                take("retention.ms=\(config.retentionMs)") { segment in
                    let newest = segment.isEmpty ? segment.createdMs : segment.maxTimestamp
                    return now - newest > config.retentionMs
                }
            }
            if config.retentionBytes >= 0 {
                var excess = Int64(segments.totalSize) - config.retentionBytes
                for i in 0..<deleted { excess -= Int64(segments[i].size) }
                take("retention.bytes=\(config.retentionBytes)") { segment in
                    guard excess - Int64(segment.size) >= 0 else { return false }
                    excess -= Int64(segment.size)
                    return true
                }
            }
        }
        var index = deleted
        take("log start offset \(logStartOffset)") { _ in
            defer { index += 1 }
            return (segments.nextBase(after: index) ?? logEndOffset) <= logStartOffset
        }
        return Decision(count: deleted, reason: reasons.joined(separator: ", "))
    }
}

extension DiskPartitionLog {
    /// Applies retention now; returns how many segments were deleted. Run by the log manager
    /// every `log.retention.check.interval.ms`.
    @discardableResult
    public func deleteOldSegments(now: Int64) throws -> Int {
        let (count, moved): (Int, Bool) = try locked { state in
            let decision = RetentionPolicy.deletable(
                state.segments, config: state.config, logStartOffset: state.logStartOffset,
                highWatermark: state.lastStableOffset, logEndOffset: state.logEndOffset, now: now)
            guard decision.count > 0 else { return (0, false) }
            let startBefore = state.logStartOffset
            try deleteLeadingSegments(state, count: decision.count)
            logger.info("retention deleted \(decision.count) segments: \(decision.reason)")
            return (decision.count, state.logStartOffset != startBefore)
        }
        if moved { report(.logStartOffsetMoved) }
        return count
    }

    /// Forgets idempotent producers idle for longer than `producer.id.expiration.ms`.
    public func expireProducers(now: Int64, expirationMs: Int64) {
        lock.withLock { state.producers.expire(now: now, expirationMs: expirationMs) }
    }
}
