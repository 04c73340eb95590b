import KafkaProtocol
import SluiceBase

/// InitProducerId with a transactional id, as the coordinator sees it.
public struct InitTransactionInput: Sendable, Equatable {
    public var transactionalId: String
    public var timeoutMs: Int32
    /// The producer's current id and epoch (InitProducerId v3+, KIP-360), or -1/-1.
    public var producerId: Int64 = -1
    public var producerEpoch: Int16 = -1
    /// A producer id never handed out before, used when the id is new or its epochs are used
    /// up (the handler allocates it beforehand: the state machine does no I/O).
    public var freshProducerId: Int64

    public init(transactionalId: String, timeoutMs: Int32, producerId: Int64 = -1, producerEpoch: Int16 = -1,
                freshProducerId: Int64) {
        self.transactionalId = transactionalId
        self.timeoutMs = timeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.freshProducerId = freshProducerId
    }
}

/// AddPartitionsToTxn (and AddOffsetsToTxn, whose partition is the group's offsets partition).
public struct AddPartitionsInput: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var partitions: [TopicPartition]
    /// AddPartitionsToTxn v4's `verify_only` (KIP-890): a partition leader asks whether the
    /// partitions are in the producer's ongoing transaction; nothing is added.
    public var verifyOnly: Bool = false

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: [TopicPartition],
                verifyOnly: Bool = false) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.partitions = partitions
        self.verifyOnly = verifyOnly
    }
}

/// EndTxn.
public struct EndTxnInput: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var commit: Bool

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, commit: Bool) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.commit = commit
    }
}

/// The coordinator's answer to a request: an error, or the producer id and epoch
/// (InitProducerId); verification answers per partition.
public struct TransactionResult: Sendable, Equatable {
    public var error: ErrorCode
    public var producerId: Int64 = -1
    public var producerEpoch: Int16 = -1
    /// For a `verifyOnly` AddPartitions: each partition's answer.
    public var partitionErrors: [TopicPartition: ErrorCode] = [:]

    public init(_ error: ErrorCode, producerId: Int64 = -1, producerEpoch: Int16 = -1,
                partitionErrors: [TopicPartition: ErrorCode] = [:]) {
        self.error = error
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.partitionErrors = partitionErrors
    }
}

/// The markers that end one transaction in its partitions: what the coordinator asks its
/// runtime to write (WriteTxnMarkers to each partition's leader).
public struct MarkerJob: Sendable, Equatable {
    public var transactionalId: String
    /// The `__transaction_state` partition the transaction belongs to.
    public var statePartition: Int32
    /// The leader epoch of that partition when the job was made: partition leaders refuse
    /// markers from an older coordinator (TRANSACTION_COORDINATOR_FENCED).
    public var coordinatorEpoch: Int32
    public var producerId: Int64
    public var producerEpoch: Int16
    public var commit: Bool
    public var partitions: Set<TopicPartition>
}

/// Something that happens to the transaction coordinator.
public enum TransactionCoordinatorEvent: Sendable, Equatable {
    case initProducerId(RequestID, InitTransactionInput)
    case addPartitions(RequestID, AddPartitionsInput)
    case endTxn(RequestID, EndTxnInput)
    /// A ``TransactionCoordinatorAction/append(partition:_:_:_:)`` finished.
    case appendCompleted(partition: Int32, AppendID, ErrorCode)
    /// Every marker of a ``TransactionCoordinatorAction/writeMarkers(_:)`` job is written (or its
    /// partition is gone).
    case markersWritten(MarkerJob)
    /// The periodic look for transactions open longer than their timeout.
    case abortTimedOut
    /// This broker now leads `__transaction_state` partition `partition` at leader epoch
    /// `coordinatorEpoch`: its transactional ids must be loaded.
    case becameLeader(partition: Int32, coordinatorEpoch: Int32)
    case resigned(partition: Int32)
    /// The latest value of each transactional id in the partition's log (nil: a tombstone).
    case loaded(partition: Int32, LoadID, [String: TransactionLogValue])
    case loadFailed(partition: Int32, LoadID)
}

/// What the transaction coordinator asks its runtime to do.
public enum TransactionCoordinatorAction: Sendable, Equatable {
    case respond(RequestID, TransactionResult)
    /// Append the id's record to `__transaction_state` partition `partition` (acks=all), in the
    /// order asked, then report ``TransactionCoordinatorEvent/appendCompleted(partition:_:_:)``.
    case append(partition: Int32, AppendID, TransactionLogKey, TransactionLogValue)
    /// Write the markers, retrying until they are written or the job is stale, then report
    /// ``TransactionCoordinatorEvent/markersWritten(_:)``.
    case writeMarkers(MarkerJob)
    /// Read the partition's log and report ``TransactionCoordinatorEvent/loaded(partition:_:_:)``.
    case load(partition: Int32, LoadID)
}
