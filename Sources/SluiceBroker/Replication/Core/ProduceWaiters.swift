import KafkaProtocol
import SluiceBase
import SluiceStorage

/// The `acks=all` produce requests waiting on one partition's leader for the high watermark to
/// pass their last offset (Kafka's `DelayedProduce`, per partition). This list is the only
/// registry of waiting produce requests: the partition adds a waiter in the same critical section
/// as the append it waits for, and every way out of the list hands the waiter's `Token` back with
/// the answer, so the driver needs no table of its own.
///
/// `Token` is whatever the driver needs to answer the request, opaque here: the broker's is the
/// request's promise, the replication simulation's the simulated request.
///
/// A waiter completes when the high watermark reaches its required offset: with its append's
/// offsets if the ISR (maximal) still has `min.insync.replicas` members,
/// NOT_ENOUGH_REPLICAS_AFTER_APPEND if it shrank below while waiting (the records are committed,
/// but not as durably as asked). Otherwise it times out (REQUEST_TIMED_OUT) or fails when
/// leadership is lost (NOT_LEADER_OR_FOLLOWER). Appends come in offset order, so the waiters are
/// sorted by required offset and completing is a prefix.
struct ProduceWaiters<Token: Sendable>: Sendable {
    struct Waiter: Sendable {
        /// Names the waiter for its timer (``remove(_:)``); unique within the partition.
        var id: UInt64
        var token: Token
        /// What the append did: the answer once the high watermark passes it.
        var info: LogAppendInfo
        /// When it times out (driver's clock).
        var deadline: Int64

        /// The offset after the append's last record.
        var requiredOffset: Int64 { info.lastOffset + 1 }
    }

    let topicPartition: TopicPartition
    private(set) var waiters: [Waiter] = []
    private var head = 0
    private var nextId: UInt64 = 1

    init(_ topicPartition: TopicPartition) {
        self.topicPartition = topicPartition
    }

    var count: Int { waiters.count - head }
    var isEmpty: Bool { count == 0 }

    /// Parks `token` until the high watermark passes `info.lastOffset`; returns the waiter's id.
    mutating func add(_ token: Token, info: LogAppendInfo, deadline: Int64) -> UInt64 {
        let id = nextId
        nextId += 1
        waiters.append(Waiter(id: id, token: token, info: info, deadline: deadline))
        return id
    }

    /// Completes the waiters the high watermark has passed.
    mutating func complete(highWatermark: Int64, maximalIsrSize: Int, minInsyncReplicas: Int) -> [ProduceCompletion<Token>] {
        var done: [ProduceCompletion<Token>] = []
        let shrank = maximalIsrSize < minInsyncReplicas
        while head < waiters.count, waiters[head].requiredOffset <= highWatermark {
            let waiter = waiters[head]
            done.append(ProduceCompletion(token: waiter.token, result: shrank
                ? .failure(ApiError(.notEnoughReplicasAfterAppend,
                                    "The records are committed to \(topicPartition), but its ISR shrank below min.insync.replicas (\(minInsyncReplicas)) while waiting."))
                : .success(waiter.info)))
            head += 1
        }
        compact()
        return done
    }

    /// Removes waiter `id`, timed out (its timer fired); nil when it already completed.
    mutating func remove(_ id: UInt64) -> ProduceCompletion<Token>? {
        guard let index = waiters[head...].firstIndex(where: { $0.id == id }) else { return nil }
        let waiter = waiters.remove(at: index)
        return ProduceCompletion(token: waiter.token, result: .failure(timedOut))
    }

    /// The waiters whose deadline passed, timed out (drivers whose clock is driven by hand).
    mutating func expire(now: Int64) -> [ProduceCompletion<Token>] {
        let expired = waiters[head...].filter { $0.deadline <= now }
        guard !expired.isEmpty else { return [] }
        waiters = waiters[head...].filter { $0.deadline > now }
        head = 0
        return expired.map { ProduceCompletion(token: $0.token, result: .failure(timedOut)) }
    }

    /// Every waiter fails with `error` (leadership lost, partition stopped, broker shutting down).
    mutating func failAll(_ error: ApiError) -> [ProduceCompletion<Token>] {
        let all = waiters[head...].map { ProduceCompletion(token: $0.token, result: .failure(error)) }
        waiters = []
        head = 0
        return all
    }

    private var timedOut: ApiError {
        ApiError(.requestTimedOut, "The records were not replicated to the in-sync replicas of \(topicPartition) within the request's timeout.")
    }

    private mutating func compact() {
        if head > 64 && head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
    }
}

/// A produce request's answer for one partition, with the token the driver parked it with: the
/// append's offsets, or why it failed (refused, timed out, leadership lost).
struct ProduceCompletion<Token: Sendable>: Sendable {
    var token: Token
    var result: Result<LogAppendInfo, ApiError>
}
