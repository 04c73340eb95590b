import Collections
import KafkaProtocol
import NIOCore
import SluiceStorage

/// One partition's records in a produce request, as they arrived.
enum ProducedRecords: Sendable {
    /// Record batches (Produce v3+), appended as they are.
    case batches(ByteBuffer)
    /// A message set of format 0 or 1 (Produce v0-2), converted to one batch first.
    case messageSet(ByteBuffer)

    /// The batches to append: the record set cut into whole batches, or the message set
    /// converted (which decompresses and compresses again: work for the appender, not for an
    /// event loop).
    func batches() throws -> [RecordBatch] {
        do {
            switch self {
            case let .batches(bytes): return try RecordBatchSequence.wholeBatches(bytes)
            case let .messageSet(bytes): return [try LegacyMessageSet.upConvert(bytes)]
            }
        } catch let error as RecordBatchError {
            throw ApiError(error.errorCode, "\(error)")
        }
    }
}

/// A produce request's append to one partition, waiting its turn in the partition's queue.
struct QueuedAppend<Token: Sendable>: Sendable {
    var records: ProducedRecords
    var requiredAcks: Int16
    var timeoutMs: Int64
    var token: Token
    /// `.coordinator` for transaction markers.
    var origin: AppendOrigin = .client
}

/// An `acks=all` request an appender parked in the partition's waiter list: the driver times it
/// out after `timeoutMs` with ``ReplicaPartition/timeOut(waiter:)``.
struct ParkedProduce<Token: Sendable>: Sendable {
    var waiterId: UInt64
    var token: Token
    var timeoutMs: Int64
}

/// What one turn of a partition's appender did.
struct AppendRound<Token: Sendable>: Sendable {
    var parked: [ParkedProduce<Token>] = []
    /// The effects of the appends, their answers included (see ``ReplicationEffects/completions``).
    var effects = ReplicationEffects<Token>()
    /// Appends remain: the caller is still the appender and runs another turn.
    var more = false
}

/// The queue of a partition's appends: submission order in, one appender at a time out.
struct AppendQueue<Token: Sendable>: Sendable {
    var pending: Deque<QueuedAppend<Token>> = []
    /// An appender is running (or scheduled to): whoever queues behind it does nothing more.
    var running = false
}

extension ReplicaPartition {
    /// Queues a produce request's append behind the ones queued before it. Returns true when the
    /// caller must start the appender — call ``runQueuedAppends(limit:clock:)`` until it says no
    /// more — because none is running; false when the running one will get to it. Never waits
    /// on I/O: event loops call it, in request order, which is how one connection's pipelined
    /// produces (an idempotent producer's sequences) keep their order without a thread per
    /// partition.
    func enqueue(_ append: QueuedAppend<Token>) -> Bool {
        appendQueue.withLockedValue { queue in
            queue.pending.append(append)
            if queue.running { return false }
            queue.running = true
            return true
        }
    }

    /// The appender's turn: runs up to `limit` queued appends in order, each in its own critical
    /// section of the partition's lock (so follower fetches interleave), and returns what they
    /// did. When the queue is empty it is left idle (`more` false) in the same step that finds
    /// it empty, so an append queued after that starts a new appender and none is stranded.
    /// `clock` times replication (lag, deadlines: monotonic in the broker); `wallClock` stamps the
    /// appended batches (`LogAppendTime`, timestamp checks), `clock` when not given.
    func runQueuedAppends(limit: Int, clock: () -> Int64, wallClock: (() -> Int64)? = nil) -> AppendRound<Token> {
        var round = AppendRound<Token>()
        for _ in 0..<max(1, limit) {
            let next: QueuedAppend<Token>? = appendQueue.withLockedValue { queue in
                if let first = queue.pending.popFirst() { return first }
                queue.running = false
                return nil
            }
            guard let append = next else { return round }
            let batches: [RecordBatch]
            do {
                batches = try append.records.batches()
            } catch {
                let refusal = error as? ApiError ?? ApiError(.corruptMessage, "\(error)")
                round.effects.completions.append(ProduceCompletion(token: append.token, result: .failure(refusal)))
                continue
            }
            let (parked, effects) = appendAsLeader(batches, requiredAcks: append.requiredAcks, timeoutMs: append.timeoutMs,
                                                   token: append.token, now: clock(), appendTime: wallClock?(), origin: append.origin)
            round.effects.merge(effects)
            if let parked {
                round.parked.append(ParkedProduce(waiterId: parked, token: append.token, timeoutMs: append.timeoutMs))
            }
        }
        round.more = appendQueue.withLockedValue { queue in
            if !queue.pending.isEmpty { return true }
            queue.running = false
            return false
        }
        return round
    }

    /// Answers every queued append with `error` and leaves the queue idle: the appender cannot
    /// run (the driver's thread pool has stopped).
    func abandonQueuedAppends(_ error: ApiError) -> [ProduceCompletion<Token>] {
        appendQueue.withLockedValue { queue in
            defer {
                queue.pending.removeAll()
                queue.running = false
            }
            return queue.pending.map { ProduceCompletion(token: $0.token, result: .failure(error)) }
        }
    }
}
