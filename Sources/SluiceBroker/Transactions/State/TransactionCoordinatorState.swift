import KafkaProtocol
import SluiceBase

/// The transaction coordinator of one broker as a pure state machine (Kafka's
/// `TransactionCoordinator` and `TransactionStateManager`): events in, actions out, time as an
/// input. It owns the transactional ids of the `__transaction_state` partitions this broker
/// leads; an id lives in ``TransactionStateTopic/partition(for:partitionCount:)``.
///
/// ```swift
/// var state = TransactionCoordinatorState(config: config)
/// var actions = state.handle(.becameLeader(partition: 0, coordinatorEpoch: 1), now: 0) // → .load
/// actions = state.handle(.loaded(partition: 0, id, [:]), now: 1)
/// actions = state.handle(.initProducerId(1, input), now: 2)                           // → .append
/// actions = state.handle(.appendCompleted(partition: 0, appendId, .noError), now: 3)   // → .respond
/// ```
///
/// A transaction goes Empty → Ongoing (AddPartitionsToTxn) → PrepareCommit/PrepareAbort
/// (EndTxn, answered once this record is written) → markers written to every partition →
/// CompleteCommit/CompleteAbort. Each step is a record in `__transaction_state` written with
/// acks=all before memory moves; a new leader of the partition reloads the records and finishes
/// what was prepared (writes the markers again: partition leaders accept a repeated marker).
///
/// Invariant: every request handed in gets exactly one ``TransactionCoordinatorAction/respond(_:_:)``.
public struct TransactionCoordinatorState: Sendable {
    public let config: TransactionCoordinatorConfig

    /// A change of one transactional id waiting for its record to be written.
    struct PendingWrite: Sendable, Equatable {
        enum Purpose: Sendable, Equatable {
            /// InitProducerId: answer with the id and epoch.
            case initProducerId(RequestID)
            /// AddPartitionsToTxn: answer NONE.
            case addPartitions(RequestID)
            /// EndTxn (or the coordinator's own abort when `request` is nil): answer, then write
            /// the markers.
            case prepare(RequestID?)
            /// The markers are written: nothing to answer.
            case complete
        }
        var target: TransactionMetadata
        var purpose: Purpose
        var appendId: AppendID
    }

    struct Shard: Sendable {
        var coordinatorEpoch: Int32
        var incarnation: UInt64
        /// Set while the partition's log is read.
        var loading: LoadID?
        var transactions: [String: TransactionMetadata] = [:]
        var pending: [String: PendingWrite] = [:]
        var nextAppend: UInt64 = 0
    }

    var shards: [Int32: Shard] = [:]
    var nextIncarnation: UInt64 = 0
    public private(set) var partitionCount: Int32

    public init(config: TransactionCoordinatorConfig) {
        self.config = config
        self.partitionCount = config.stateLogPartitions
    }

    public func partition(for transactionalId: String) -> Int32 {
        TransactionStateTopic.partition(for: transactionalId, partitionCount: partitionCount)
    }

    /// Uses the existing topic's partition count; only while no partition is owned.
    public mutating func usePartitionCount(_ count: Int32) -> Bool {
        guard count > 0 else { return false }
        if count == partitionCount { return true }
        guard shards.isEmpty else { return false }
        partitionCount = count
        return true
    }

    public var ownedPartitions: [Int32] { shards.keys.sorted() }

    /// Whether this coordinator serves `transactionalId` now.
    public func status(of transactionalId: String) -> ErrorCode {
        guard let shard = shards[partition(for: transactionalId)] else { return .notCoordinator }
        return shard.loading == nil ? .noError : .coordinatorLoadInProgress
    }

    /// The id's state (nil when unknown or not served here).
    public func transaction(_ transactionalId: String) -> TransactionMetadata? {
        shards[partition(for: transactionalId)]?.transactions[transactionalId]
    }

    /// Every loaded transaction (for listings).
    public var transactions: [TransactionMetadata] {
        shards.values.flatMap { $0.transactions.values }.sorted { $0.transactionalId < $1.transactionalId }
    }

    // MARK: Events

    public mutating func handle(_ event: TransactionCoordinatorEvent, now: Int64) -> [TransactionCoordinatorAction] {
        switch event {
        case let .initProducerId(id, input): return initProducerId(id, input, now: now)
        case let .addPartitions(id, input): return addPartitions(id, input, now: now)
        case let .endTxn(id, input): return endTxn(id, input, now: now)
        case let .appendCompleted(partition, appendId, error): return appendCompleted(partition, appendId, error, now: now)
        case let .markersWritten(job): return markersWritten(job, now: now)
        case .abortTimedOut: return abortTimedOut(now: now)
        case let .becameLeader(partition, epoch):
            var actions = resign(partition)
            nextIncarnation += 1
            let load = LoadID(value: nextIncarnation)
            shards[partition] = Shard(coordinatorEpoch: epoch, incarnation: nextIncarnation, loading: load)
            actions.append(.load(partition: partition, load))
            return actions
        case let .resigned(partition):
            return resign(partition)
        case let .loaded(partition, load, values):
            return loaded(partition, load, values, now: now)
        case let .loadFailed(partition, load):
            // Kafka gives the partition up; leadership moving back (or a restart) loads again.
            guard shards[partition]?.loading == load else { return [] }
            shards[partition] = nil
            return []
        }
    }

    /// Gives a partition up: its in-flight requests are answered NOT_COORDINATOR (clients look
    /// for the coordinator again and retry there).
    mutating func resign(_ partition: Int32) -> [TransactionCoordinatorAction] {
        guard let shard = shards.removeValue(forKey: partition) else { return [] }
        return shard.pending.values.compactMap { pending in
            switch pending.purpose {
            case let .initProducerId(id), let .addPartitions(id), let .prepare(id?):
                return .respond(id, TransactionResult(.notCoordinator))
            case .prepare(nil), .complete:
                return nil
            }
        }
    }

    mutating func loaded(_ partition: Int32, _ load: LoadID, _ values: [String: TransactionLogValue],
                         now: Int64) -> [TransactionCoordinatorAction] {
        guard var shard = shards[partition], shard.loading == load else { return [] }
        shard.loading = nil
        var actions: [TransactionCoordinatorAction] = []
        for (id, value) in values.sorted(by: { $0.key < $1.key }) {
            let metadata = TransactionMetadata(transactionalId: id, value: value)
            shard.transactions[id] = metadata
            // A transaction prepared by the previous coordinator: finish it.
            if metadata.status == .prepareCommit || metadata.status == .prepareAbort {
                actions.append(.writeMarkers(markerJob(metadata, partition: partition, epoch: shard.coordinatorEpoch)))
            }
        }
        shards[partition] = shard
        return actions
    }

    func markerJob(_ metadata: TransactionMetadata, partition: Int32, epoch: Int32) -> MarkerJob {
        MarkerJob(transactionalId: metadata.transactionalId, statePartition: partition, coordinatorEpoch: epoch,
                  producerId: metadata.producerId, producerEpoch: metadata.producerEpoch,
                  commit: metadata.status == .prepareCommit, partitions: metadata.partitions)
    }

    /// Queues the record of `target` (a change of its id) and remembers what to do once written.
    mutating func write(_ target: TransactionMetadata, _ purpose: PendingWrite.Purpose,
                        in partition: Int32) -> [TransactionCoordinatorAction] {
        var shard = shards[partition]!
        shard.nextAppend += 1
        let appendId = AppendID(shard: shard.incarnation, sequence: shard.nextAppend)
        shard.pending[target.transactionalId] = PendingWrite(target: target, purpose: purpose, appendId: appendId)
        shards[partition] = shard
        return [.append(partition: partition, appendId, TransactionLogKey(transactionalId: target.transactionalId),
                        target.logValue)]
    }

    mutating func appendCompleted(_ partition: Int32, _ appendId: AppendID, _ error: ErrorCode,
                                  now: Int64) -> [TransactionCoordinatorAction] {
        guard var shard = shards[partition],
              let (id, pending) = shard.pending.first(where: { $0.value.appendId == appendId }) else { return [] }
        shard.pending[id] = nil
        guard error == .noError else {
            shards[partition] = shard
            // Kafka's mapping of a failed coordinator write to what the client retries.
            let answer: ErrorCode
            switch error {
            case .notLeaderOrFollower, .notCoordinator: answer = .notCoordinator
            case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut,
                 .coordinatorNotAvailable:
                answer = .coordinatorNotAvailable
            default: answer = .unknownServerError
            }
            switch pending.purpose {
            case let .initProducerId(id), let .addPartitions(id), let .prepare(id?):
                return [.respond(id, TransactionResult(answer))]
            case .prepare(nil), .complete:
                // The coordinator's own step: the state stays as written; the next look for
                // timed-out transactions (or a new leader's load) tries again.
                return []
            }
        }
        var target = pending.target
        if let previous = shard.transactions[id], target.lastProducerEpoch < 0, previous.producerId == target.producerId {
            target.lastProducerEpoch = previous.lastProducerEpoch
        }
        shard.transactions[id] = target
        shards[partition] = shard
        switch pending.purpose {
        case let .initProducerId(request):
            return [.respond(request, TransactionResult(.noError, producerId: target.producerId,
                                                        producerEpoch: target.producerEpoch))]
        case let .addPartitions(request):
            return [.respond(request, TransactionResult(.noError))]
        case let .prepare(request):
            var actions: [TransactionCoordinatorAction] = []
            if let request { actions.append(.respond(request, TransactionResult(.noError))) }
            actions.append(.writeMarkers(markerJob(target, partition: partition, epoch: shard.coordinatorEpoch)))
            return actions
        case .complete:
            return []
        }
    }

    /// The markers of a prepared transaction are written: record its completion.
    mutating func markersWritten(_ job: MarkerJob, now: Int64) -> [TransactionCoordinatorAction] {
        guard let shard = shards[job.statePartition], shard.loading == nil, shard.coordinatorEpoch == job.coordinatorEpoch,
              shard.pending[job.transactionalId] == nil,
              var metadata = shard.transactions[job.transactionalId],
              metadata.producerId == job.producerId, metadata.producerEpoch == job.producerEpoch,
              metadata.status == (job.commit ? .prepareCommit : .prepareAbort) else { return [] }
        metadata.status = job.commit ? .completeCommit : .completeAbort
        metadata.partitions = []
        metadata.startTimestampMs = -1
        metadata.lastUpdateTimestampMs = now
        return write(metadata, .complete, in: job.statePartition)
    }

    /// Aborts every ongoing transaction older than its timeout, bumping the producer's epoch so
    /// that the producer that opened it is fenced (Kafka's `abortTimedOutTransactions`).
    mutating func abortTimedOut(now: Int64) -> [TransactionCoordinatorAction] {
        var actions: [TransactionCoordinatorAction] = []
        for partition in shards.keys.sorted() {
            guard let shard = shards[partition], shard.loading == nil else { continue }
            for (id, metadata) in shard.transactions.sorted(by: { $0.key < $1.key })
            where metadata.status == .ongoing && shard.pending[id] == nil
                && metadata.startTimestampMs + Int64(metadata.timeoutMs) < now {
                actions += fenceAndAbort(metadata, in: partition, now: now)
            }
        }
        return actions
    }

    /// Moves an ongoing transaction to PrepareAbort with the next epoch (the coordinator's own
    /// abort: nobody is answered; the markers follow the record).
    mutating func fenceAndAbort(_ metadata: TransactionMetadata, in partition: Int32,
                                now: Int64) -> [TransactionCoordinatorAction] {
        var target = metadata
        // An exhausted epoch is not bumped (Kafka aborts with the current one; the producer's
        // next InitProducerId gets a new producer id).
        if target.producerEpoch < Int16.max - 1 {
            target.lastProducerEpoch = metadata.producerEpoch
            target.producerEpoch += 1
        }
        target.status = .prepareAbort
        target.lastUpdateTimestampMs = now
        return write(target, .prepare(nil), in: partition)
    }
}
