import NIOCore

/// The control record that ends a transaction in a partition (Kafka's `EndTransactionMarker`):
/// a control batch of one record written by the partition's leader when the transaction
/// coordinator sends WriteTxnMarkers, with the producer's id and epoch in the batch header.
///
/// Record key: `version int16 (0)`, `type int16` (0 ABORT, 1 COMMIT).
/// Record value: `version int16 (0)`, `coordinator_epoch int32`.
///
/// Consumers in `read_committed` drop the records of aborted transactions (the fetch response
/// lists them) up to the ABORT marker; every consumer skips control batches.
///
/// ```swift
/// let batch = try EndTransactionMarker(commit: true, coordinatorEpoch: 3)
///     .batch(producerId: 7, producerEpoch: 0, timestamp: now)
/// EndTransactionMarker(controlBatch: batch)?.commit   // true
/// ```
public struct EndTransactionMarker: Sendable, Hashable {
    /// Control record types (the key's second field).
    public static let abortType: Int16 = 0
    public static let commitType: Int16 = 1

    public var commit: Bool
    public var coordinatorEpoch: Int32

    public init(commit: Bool, coordinatorEpoch: Int32) {
        self.commit = commit
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// The marker of a control batch; nil when the batch is not a control batch, is empty (the
    /// cleaner may leave an empty one), or holds another kind of control record.
    public init?(controlBatch batch: RecordBatch) {
        guard batch.isControl, batch.recordCount > 0, let record = try? batch.records().first else { return nil }
        self.init(key: record.key, value: record.value)
    }

    /// Decodes a control record's key and value; nil for other control records (Raft's leader
    /// changes and snapshots use types 2 and above).
    public init?(key: ByteBuffer?, value: ByteBuffer?) {
        guard var key, key.readableBytes >= 4, let _ = key.readInteger(as: Int16.self),
              let type = key.readInteger(as: Int16.self), type == Self.abortType || type == Self.commitType else { return nil }
        var epoch: Int32 = -1
        if var value, value.readableBytes >= 6, value.readInteger(as: Int16.self) != nil {
            epoch = value.readInteger(as: Int32.self) ?? -1
        }
        self.init(commit: type == Self.commitType, coordinatorEpoch: epoch)
    }

    public var keyBytes: ByteBuffer {
        var key = ByteBuffer()
        key.writeInteger(Int16(0))
        key.writeInteger(commit ? Self.commitType : Self.abortType)
        return key
    }

    public var valueBytes: ByteBuffer {
        var value = ByteBuffer()
        value.writeInteger(Int16(0))
        value.writeInteger(coordinatorEpoch)
        return value
    }

    /// The control batch a leader appends: transactional, control, one record, the producer's id
    /// and epoch, no sequence.
    public func batch(producerId: Int64, producerEpoch: Int16, timestamp: Int64) throws -> RecordBatch {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerEpoch, baseSequence: -1,
                                         isTransactional: true, isControl: true, capacity: 32)
        builder.append(key: keyBytes, value: valueBytes, timestamp: timestamp)
        return try builder.build()
    }
}
