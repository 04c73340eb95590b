import KafkaProtocol
import NIOCore
import SluiceStorage

extension ReplicaPartition {
    /// Where this follower's log stands, for its next fetch; nil unless it follows a leader.
    func fetchPosition() -> FetchPosition? {
        lock.withLock {
            guard case let .follower(leaderId, _) = role, leaderId >= 0, leaderId != localId else { return nil }
            return FetchPosition(fetchOffset: log.logEndOffset, lastFetchedEpoch: log.latestLeaderEpoch ?? -1,
                                 logStartOffset: log.logStartOffset)
        }
    }

    /// What the fetcher does with the partition after applying an answer.
    enum FollowerApplyResult: Sendable, Equatable {
        /// The answer belongs to a request made before a role change or truncation: dropped.
        case stale
        case done
        case retryLater(ErrorCode)
        case stop(ErrorCode)
    }

    /// Applies one partition of a fetch response from `source` to a request made with `asked`
    /// (Kafka's `processFetchRequest` for one partition): appends the records and takes the
    /// leader's high watermark, or truncates where the logs diverge, or restarts the log at the
    /// leader's log start. Dropped unless this node still follows `source` at the asked epoch
    /// and its log still ends at the asked offset.
    func applyFetched(_ asked: PlannedFetch.Partition, from source: Int32, answer: FetchResponse.PartitionData,
                      now: Int64) -> (FollowerApplyResult, Effects) {
        lock.withLock {
            var effects = Effects()
            guard case let .follower(leaderId, epoch) = role, leaderId == source, epoch == asked.leaderEpoch,
                  log.logEndOffset == asked.position.fetchOffset else {
                return (.stale, effects)
            }
            let diverging: (epoch: Int32, endOffset: Int64)? = answer.divergingEpoch.endOffset >= 0
                ? (answer.divergingEpoch.epoch, answer.divergingEpoch.endOffset) : nil
            let outcome = FollowerFetchOutcome.decide(
                error: ErrorCode(answer.errorCode), divergingEpoch: diverging, highWatermark: answer.highWatermark,
                leaderLogStartOffset: answer.logStartOffset, position: asked.position, logEndOffset: log.logEndOffset,
                localEndOffset: { self.log.endOffset(forLeaderEpoch: $0) })
            do {
                switch outcome {
                case let .append(leaderHighWatermark, leaderLogStartOffset):
                    try appendFetched(answer.records)
                    let end = log.logEndOffset
                    let hw = min(leaderHighWatermark, end)
                    if hw > log.highWatermark { log.updateHighWatermark(hw) }
                    if leaderLogStartOffset > log.logStartOffset && leaderLogStartOffset <= log.highWatermark {
                        try log.deleteRecords(before: leaderLogStartOffset)
                    }
                    return (.done, effects)
                case let .truncate(to: offset):
                    effects.truncations.append(.init(topicPartition: topicPartition, fromLogEnd: log.logEndOffset,
                                                     toOffset: offset, highWatermarkBefore: log.highWatermark))
                    try log.truncate(to: offset)
                    return (.done, effects)
                case let .restart(at: offset):
                    effects.truncations.append(.init(topicPartition: topicPartition, fromLogEnd: log.logEndOffset,
                                                     toOffset: offset, highWatermarkBefore: log.highWatermark))
                    try restartLog(at: offset)
                    return (.done, effects)
                case let .retryLater(code):
                    return (.retryLater(code), effects)
                case let .stop(code):
                    return (.stop(code), effects)
                }
            } catch {
                return (.retryLater(Self.errorCode(error)), effects)
            }
        }
    }

    private func appendFetched(_ records: RecordsPayload?) throws {
        guard let records, records.byteCount > 0 else { return }
        guard case let .bytes(bytes) = records else {
            throw ApiError(.corruptMessage, "a follower fetch answered with records not in memory")
        }
        var batches: [RecordBatch] = []
        var sequence = RecordBatchSequence(bytes)
        let end = log.logEndOffset
        while let batch = sequence.next() {
            // A batch wholly below our end is one we have (a retried answer): skip it.
            if batch.lastOffset < end { continue }
            batches.append(batch)
        }
        if let error = sequence.error { throw LogAppendError.invalidBatch(error) }
        guard !batches.isEmpty else { return }
        _ = try log.appendAsFollower(batches)
    }

    /// Empties the log and starts it at `offset` (the leader's log start is past our end).
    private func restartLog(at offset: Int64) throws {
        if let disk = log as? DiskPartitionLog {
            try disk.truncateFullyAndStart(at: offset)
        } else {
            throw ApiError(.kafkaStorageError, "this log cannot restart at \(offset)")
        }
    }

    static func errorCode(_ error: any Error) -> ErrorCode {
        switch error {
        case let e as LogAppendError: return e.errorCode
        case let e as StorageError: return e.errorCode
        case let e as ApiError: return e.code
        default: return .unknownServerError
        }
    }
}
