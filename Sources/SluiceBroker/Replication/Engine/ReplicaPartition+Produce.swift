import KafkaProtocol
import SluiceStorage

extension ReplicaPartition {
    /// Appends a produce request's batches as the leader (Kafka's `appendRecordsToLeader`), in
    /// one critical section of the partition's lock: checks leadership and, for `acks=all`,
    /// `min.insync.replicas` against the committed ISR before anything is written; appends (the
    /// log validates the batches and stamps the leader epoch); advances the high watermark if
    /// the ISR is the leader alone; and, for `acks=all` while the high watermark is below the
    /// records, parks `token` in the partition's waiter list with a deadline `timeoutMs` away.
    ///
    /// Returns the waiter's id when the request was parked (the driver's timer names it in
    /// ``timeOut(waiter:)``); otherwise the request's answer is among the effects' completions,
    /// with `token`. A duplicate of an idempotent producer's batch answers with the original
    /// offsets and waits like a new append would (the original may not be committed yet).
    ///
    /// `now` is replication's clock (ISR lag, the waiter's deadline): monotonic in the broker, so
    /// that a stepped wall clock neither drops caught-up followers nor keeps lagging ones.
    /// `appendTime` is the wall clock the log stamps and checks timestamps with (`now` if nil).
    func appendAsLeader(_ batches: [RecordBatch], requiredAcks: Int16, timeoutMs: Int64, token: Token,
                        now: Int64, appendTime: Int64? = nil, origin: AppendOrigin = .client) -> (parked: UInt64?, effects: Effects) {
        lock.withLock {
            func refused(_ error: ApiError) -> (UInt64?, Effects) {
                (nil, Effects(completions: [ProduceCompletion(token: token, result: .failure(error))]))
            }
            guard case var .leader(leader) = role else {
                return refused(ApiError(.notLeaderOrFollower, "This server is not the leader for \(topicPartition)."))
            }
            let minInsync = Int(log.config.minInsyncReplicas)
            if requiredAcks == -1 && leader.isr.count < minInsync {
                return refused(ApiError(.notEnoughReplicas,
                    "The size of the current ISR \(leader.isr) is insufficient to satisfy the min.isr requirement of \(minInsync) for partition \(topicPartition)"))
            }
            let info: LogAppendInfo
            do {
                info = try log.appendAsLeader(batches, leaderEpoch: leader.leaderEpoch, now: appendTime ?? now, origin: origin)
                uncommitted.appended(endOffset: info.lastOffset + 1, bytes: info.byteCount)
            } catch LogAppendError.duplicate(let original) {
                info = original
            } catch LogAppendError.recordsRejected(let rejected) {
                return refused(ApiError(rejected))
            } catch let error as LogAppendError {
                return refused(ApiError(error.errorCode, "\(error)"))
            } catch let error as StorageError {
                return refused(ApiError(error.errorCode, "\(error)"))
            } catch {
                return refused(ApiError(.unknownServerError, "\(error)"))
            }
            var effects = Effects()
            if info.byteCount > 0 { effects.appended.append((topicPartition, info.byteCount)) }
            let hw = leader.leaderAppended(logEndOffset: log.logEndOffset, now: now)
            role = .leader(leader)
            effects.merge(applyLocked(LeaderUpdate(newHighWatermark: hw), now: now))
            guard requiredAcks == -1, leader.highWatermark <= info.lastOffset else {
                effects.completions.append(ProduceCompletion(token: token, result: .success(info)))
                return (nil, effects)
            }
            let id = waiters.add(token, info: info, deadline: now + timeoutMs)
            return (id, effects)
        }
    }

    /// Waiter `id`'s timer fired: it fails with REQUEST_TIMED_OUT unless it already completed.
    func timeOut(waiter id: UInt64) -> ProduceCompletion<Token>? {
        lock.withLock { waiters.remove(id) }
    }

    /// Times out every waiter whose deadline passed (drivers whose clock is driven by hand).
    func expireWaiters(now: Int64) -> [ProduceCompletion<Token>] {
        lock.withLock { waiters.expire(now: now) }
    }
}
