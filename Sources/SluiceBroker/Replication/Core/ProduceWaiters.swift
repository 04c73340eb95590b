import KafkaProtocol

/// `acks=all` produce requests waiting on one partition's leader for the high watermark to
/// pass their last offset (Kafka's `DelayedProduce`, per partition).
///
/// A waiter completes when the high watermark reaches its required offset: with no error if
/// the ISR (maximal) still has `min.insync.replicas` members, NOT_ENOUGH_REPLICAS_AFTER_APPEND
/// if it shrank below while waiting (the records are committed, but not as durably as asked).
/// Otherwise it times out (REQUEST_TIMED_OUT) or fails when leadership is lost
/// (NOT_LEADER_OR_FOLLOWER). Appends come in offset order, so the waiters are sorted by
/// required offset and completing is a prefix.
struct ProduceWaiters: Sendable {
    struct Waiter: Sendable, Equatable {
        var id: UInt64
        /// The offset after the append's last record.
        var requiredOffset: Int64
        /// When it times out (driver's clock).
        var deadline: Int64
    }

    private(set) var waiters: [Waiter] = []
    private var head = 0

    var count: Int { waiters.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func add(_ waiter: Waiter) {
        waiters.append(waiter)
    }

    /// Completes the waiters the high watermark has passed.
    mutating func complete(highWatermark: Int64, maximalIsrSize: Int, minInsyncReplicas: Int) -> [ProduceCompletion] {
        var done: [ProduceCompletion] = []
        let code: ErrorCode = maximalIsrSize >= minInsyncReplicas ? .noError : .notEnoughReplicasAfterAppend
        while head < waiters.count, waiters[head].requiredOffset <= highWatermark {
            done.append(ProduceCompletion(id: waiters[head].id, error: code))
            head += 1
        }
        compact()
        return done
    }

    /// Removes one waiter (its timer fired); nil when it already completed.
    mutating func remove(_ id: UInt64) -> Waiter? {
        guard let index = waiters[head...].firstIndex(where: { $0.id == id }) else { return nil }
        let waiter = waiters.remove(at: index)
        return waiter
    }

    /// The waiters whose deadline passed, timed out (the simulation's clock-driven expiry).
    mutating func expire(now: Int64) -> [ProduceCompletion] {
        let expired = waiters[head...].filter { $0.deadline <= now }
        guard !expired.isEmpty else { return [] }
        waiters = waiters[head...].filter { $0.deadline > now }
        head = 0
        return expired.map { ProduceCompletion(id: $0.id, error: .requestTimedOut) }
    }

    /// Every waiter fails with `error` (leadership lost, partition stopped).
    mutating func failAll(_ error: ErrorCode) -> [ProduceCompletion] {
        let all = waiters[head...].map { ProduceCompletion(id: $0.id, error: error) }
        waiters = []
        head = 0
        return all
    }

    private mutating func compact() {
        if head > 64 && head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
    }
}

/// A produce request's partition is done waiting.
struct ProduceCompletion: Sendable, Equatable {
    var id: UInt64
    var error: ErrorCode
}
