import KafkaProtocol
import SluiceBase

/// The client requests: InitProducerId, AddPartitionsToTxn (and AddOffsetsToTxn), EndTxn, with
/// Kafka's checks and answers.
extension TransactionCoordinatorState {
    /// NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this coordinator cannot serve the id now.
    func unavailable(_ transactionalId: String) -> ErrorCode? {
        let status = status(of: transactionalId)
        return status == .noError ? nil : status
    }

    mutating func initProducerId(_ request: RequestID, _ input: InitTransactionInput,
                                 now: Int64) -> [TransactionCoordinatorAction] {
        func answer(_ error: ErrorCode) -> [TransactionCoordinatorAction] { [.respond(request, TransactionResult(error))] }
        if let error = unavailable(input.transactionalId) { return answer(error) }
        guard input.timeoutMs > 0, input.timeoutMs <= config.maxTimeoutMs else { return answer(.invalidTransactionTimeout) }
        let partition = partition(for: input.transactionalId)
        let shard = shards[partition]!
        if shard.pending[input.transactionalId] != nil { return answer(.concurrentTransactions) }
        guard let current = shard.transactions[input.transactionalId] else {
            let fresh = TransactionMetadata(transactionalId: input.transactionalId, producerId: input.freshProducerId,
                                            producerEpoch: 0, timeoutMs: input.timeoutMs, status: .empty,
                                            lastUpdateTimestampMs: now)
            return write(fresh, .initProducerId(request), in: partition)
        }
        // KIP-360: a producer naming its id and epoch must be the current one (or retrying after
        // the coordinator bumped its epoch); anyone else is a zombie.
        let named = input.producerId >= 0 && input.producerEpoch >= 0
        let isRetry = named && input.producerId == current.producerId && input.producerEpoch == current.lastProducerEpoch
            && input.producerEpoch != current.producerEpoch
        if named && !isRetry && (input.producerId != current.producerId || input.producerEpoch != current.producerEpoch) {
            return answer(.producerFenced)
        }
        if current.isPreparing { return answer(.concurrentTransactions) }
        if current.status == .ongoing {
            // A new producer instance replaces the one whose transaction is open: abort it with a
            // bumped epoch (fencing the old instance); the caller retries once the abort is done.
            return fenceAndAbort(current, in: partition, now: now) + answer(.concurrentTransactions)
        }
        if current.status == .dead { return answer(.concurrentTransactions) }
        var target = current
        if isRetry {
            // Its epoch was bumped by the coordinator (a timeout abort): hand the current one out.
        } else if current.producerEpoch >= Int16.max - 1 {
            target.producerId = input.freshProducerId
            target.producerEpoch = 0
            target.lastProducerEpoch = -1
        } else {
            target.lastProducerEpoch = current.producerEpoch
            target.producerEpoch += 1
        }
        target.timeoutMs = input.timeoutMs
        target.status = .empty
        target.partitions = []
        target.startTimestampMs = -1
        target.lastUpdateTimestampMs = now
        return write(target, .initProducerId(request), in: partition)
    }

    /// The checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn share: the producer id must be
    /// the id's, the epoch its current one, and no change may be in flight.
    enum ProducerCheck {
        case accepted(TransactionMetadata)
        case refused(ErrorCode)
    }

    func checkProducer(_ transactionalId: String, producerId: Int64, producerEpoch: Int16) -> ProducerCheck {
        if let error = unavailable(transactionalId) { return .refused(error) }
        let shard = shards[partition(for: transactionalId)]!
        guard let current = shard.transactions[transactionalId], current.producerId == producerId else {
            return .refused(.invalidProducerIdMapping)
        }
        guard current.producerEpoch == producerEpoch else { return .refused(.producerFenced) }
        if shard.pending[transactionalId] != nil { return .refused(.concurrentTransactions) }
        return .accepted(current)
    }

    mutating func addPartitions(_ request: RequestID, _ input: AddPartitionsInput,
                                now: Int64) -> [TransactionCoordinatorAction] {
        let current: TransactionMetadata
        switch checkProducer(input.transactionalId, producerId: input.producerId, producerEpoch: input.producerEpoch) {
        case let .refused(error):
            if input.verifyOnly {
                let errors = Dictionary(input.partitions.map { ($0, error) }, uniquingKeysWith: { a, _ in a })
                return [.respond(request, TransactionResult(error, partitionErrors: errors))]
            }
            return [.respond(request, TransactionResult(error))]
        case let .accepted(metadata):
            current = metadata
        }
        if input.verifyOnly {
            // KIP-890: a partition leader asks before it appends a transactional batch.
            var errors: [TopicPartition: ErrorCode] = [:]
            for tp in input.partitions {
                errors[tp] = current.status == .ongoing && current.partitions.contains(tp) ? .noError : .invalidTxnState
            }
            return [.respond(request, TransactionResult(.noError, partitionErrors: errors))]
        }
        if current.isPreparing { return [.respond(request, TransactionResult(.concurrentTransactions))] }
        if current.status == .ongoing && current.partitions.isSuperset(of: input.partitions) {
            return [.respond(request, TransactionResult(.noError))]
        }
        var target = current
        if current.status != .ongoing {
            target.status = .ongoing
            target.partitions = []
            target.startTimestampMs = now
        }
        target.partitions.formUnion(input.partitions)
        target.lastUpdateTimestampMs = now
        return write(target, .addPartitions(request), in: partition(for: input.transactionalId))
    }

    mutating func endTxn(_ request: RequestID, _ input: EndTxnInput, now: Int64) -> [TransactionCoordinatorAction] {
        func answer(_ error: ErrorCode) -> [TransactionCoordinatorAction] { [.respond(request, TransactionResult(error))] }
        let current: TransactionMetadata
        switch checkProducer(input.transactionalId, producerId: input.producerId, producerEpoch: input.producerEpoch) {
        case let .refused(error): return answer(error)
        case let .accepted(metadata): current = metadata
        }
        switch (current.status, input.commit) {
        case (.ongoing, _):
            var target = current
            target.status = input.commit ? .prepareCommit : .prepareAbort
            target.lastUpdateTimestampMs = now
            return write(target, .prepare(request), in: partition(for: input.transactionalId))
        // A retry of an EndTxn already done (its answer was lost).
        case (.completeCommit, true), (.completeAbort, false):
            return answer(.noError)
        // The same end in progress: the client retries until it is complete.
        case (.prepareCommit, true), (.prepareAbort, false), (.prepareEpochFence, _):
            return answer(.concurrentTransactions)
        default:
            return answer(.invalidTxnState)
        }
    }
}
