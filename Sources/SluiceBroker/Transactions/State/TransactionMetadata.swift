import SluiceBase

/// One transactional id as its coordinator knows it (Kafka's `TransactionMetadata`): the
/// producer id and epoch it hands out, the open transaction's partitions and its status.
///
/// Invariant: the status and fields are those of the last record written to
/// `__transaction_state` for the id; a change waits in ``TransactionCoordinatorState`` until its
/// record is written (``TransactionCoordinatorState/PendingWrite``), and another change of the
/// same id meanwhile is answered CONCURRENT_TRANSACTIONS.
public struct TransactionMetadata: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    /// The epoch before the coordinator last bumped it to fence the producer (a timed-out or
    /// replaced transaction): -1 when none. Not persisted (Kafka keeps it in memory too).
    public var lastProducerEpoch: Int16 = -1
    public var timeoutMs: Int32
    public var status: TransactionStatus
    public var partitions: Set<TopicPartition>
    /// When the open transaction began (-1 when none).
    public var startTimestampMs: Int64
    public var lastUpdateTimestampMs: Int64

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, timeoutMs: Int32,
                status: TransactionStatus, partitions: Set<TopicPartition> = [], startTimestampMs: Int64 = -1,
                lastUpdateTimestampMs: Int64) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.timeoutMs = timeoutMs
        self.status = status
        self.partitions = partitions
        self.startTimestampMs = startTimestampMs
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
    }

    /// The metadata a `__transaction_state` record holds.
    init(transactionalId: String, value: TransactionLogValue) {
        var partitions: Set<TopicPartition> = []
        for topic in value.partitions {
            for p in topic.partitionIds { partitions.insert(TopicPartition(topic.topic, p)) }
        }
        self.init(transactionalId: transactionalId, producerId: value.producerId, producerEpoch: value.producerEpoch,
                  timeoutMs: value.transactionTimeoutMs, status: value.status, partitions: partitions,
                  startTimestampMs: value.startTimestampMs, lastUpdateTimestampMs: value.lastUpdateTimestampMs)
    }

    /// The record value for this state (partitions grouped by topic, sorted, as Kafka writes them).
    var logValue: TransactionLogValue {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let grouped = byTopic.keys.sorted().map { topic in
            TransactionLogValue.Partitions(topic: topic, partitionIds: byTopic[topic]!.map(\.partition).sorted())
        }
        return TransactionLogValue(producerId: producerId, producerEpoch: producerEpoch, transactionTimeoutMs: timeoutMs,
                                   status: status, partitions: grouped, lastUpdateTimestampMs: lastUpdateTimestampMs,
                                   startTimestampMs: startTimestampMs)
    }

    /// A transaction is being ended: its markers are (about to be) written.
    var isPreparing: Bool { status == .prepareCommit || status == .prepareAbort || status == .prepareEpochFence }

    /// No transaction is open: the id may start one (or take a new epoch).
    var isIdle: Bool { status == .empty || status == .completeCommit || status == .completeAbort }
}
