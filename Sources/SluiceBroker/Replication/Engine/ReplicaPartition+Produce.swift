import KafkaProtocol
import SluiceStorage

extension ReplicaPartition {
    /// How a leader append ended.
    enum AppendOutcome: Sendable {
        case failed(ApiError)
        /// Done: `acks` 0 or 1, or `acks=all` with the high watermark already past the records.
        case appended(LogAppendInfo)
        /// `acks=all`: parked under the given waiter id until the high watermark passes
        /// `info.lastOffset` (see ``ProduceWaiters``).
        case waiting(LogAppendInfo)
    }

    /// Appends validated batches as the leader (Kafka's `appendRecordsToLeader`): checks
    /// leadership and, for `acks=all`, `min.insync.replicas` against the committed ISR before
    /// anything is written; stamps the leader epoch; advances the high watermark if the ISR is
    /// the leader alone; parks `acks=all` requests as waiter `waiterId` with `timeoutMs`.
    ///
    /// A duplicate of an idempotent producer's batch answers with the original offsets and waits
    /// like a new append would (the original may not be committed yet).
    func appendAsLeader(_ batches: [RecordBatch], requiredAcks: Int16, waiterId: UInt64, timeoutMs: Int64,
                        now: Int64) -> (AppendOutcome, ReplicationEffects) {
        lock.withLock {
            guard case var .leader(leader) = role else {
                return (.failed(ApiError(.notLeaderOrFollower, "This server is not the leader for \(topicPartition).")),
                        ReplicationEffects())
            }
            let minInsync = Int(log.config.minInsyncReplicas)
            if requiredAcks == -1 && leader.isr.count < minInsync {
                return (.failed(ApiError(.notEnoughReplicas,
                                         "The size of the current ISR \(leader.isr) is insufficient to satisfy the min.isr requirement of \(minInsync) for partition \(topicPartition)")),
                        ReplicationEffects())
            }
            let info: LogAppendInfo
            do {
                info = try log.appendAsLeader(batches, leaderEpoch: leader.leaderEpoch, now: now)
                uncommitted.appended(endOffset: info.lastOffset + 1, bytes: info.byteCount)
            } catch LogAppendError.duplicate(let original) {
                info = original
            } catch let error as LogAppendError {
                return (.failed(ApiError(error.errorCode, "\(error)")), ReplicationEffects())
            } catch let error as StorageError {
                return (.failed(ApiError(error.errorCode, "\(error)")), ReplicationEffects())
            } catch {
                return (.failed(ApiError(.unknownServerError, "\(error)")), ReplicationEffects())
            }
            var effects = ReplicationEffects()
            if info.byteCount > 0 { effects.appended.append((topicPartition, info.byteCount)) }
            let hw = leader.leaderAppended(logEndOffset: log.logEndOffset, now: now)
            role = .leader(leader)
            effects.merge(applyLocked(LeaderUpdate(newHighWatermark: hw), now: now))
            guard requiredAcks == -1, leader.highWatermark <= info.lastOffset else {
                return (.appended(info), effects)
            }
            waiters.add(.init(id: waiterId, requiredOffset: info.lastOffset + 1, deadline: now + timeoutMs))
            return (.waiting(info), effects)
        }
    }

    /// Waiter `id`'s timeout fired: it fails with REQUEST_TIMED_OUT unless it already completed.
    func timeOut(waiter id: UInt64) -> ProduceCompletion? {
        lock.withLock {
            waiters.remove(id).map { ProduceCompletion(id: $0.id, error: .requestTimedOut) }
        }
    }

    /// Times out every waiter whose deadline passed (the simulation's clock).
    func expireWaiters(now: Int64) -> [ProduceCompletion] {
        lock.withLock { waiters.expire(now: now) }
    }
}
