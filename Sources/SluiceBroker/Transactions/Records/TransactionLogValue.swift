import KafkaProtocol
import NIOCore

/// A transaction's state as the coordinator records it (Kafka's `TransactionState` ids, which
/// are what `__transaction_state` stores).
public enum TransactionStatus: Int8, Sendable, CaseIterable {
    case empty = 0
    case ongoing = 1
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5
    case dead = 6
    case prepareEpochFence = 7

    /// Kafka's names, as DescribeTransactions and ListTransactions show them.
    public var name: String {
        switch self {
        case .empty: return "Empty"
        case .ongoing: return "Ongoing"
        case .prepareCommit: return "PrepareCommit"
        case .prepareAbort: return "PrepareAbort"
        case .completeCommit: return "CompleteCommit"
        case .completeAbort: return "CompleteAbort"
        case .dead: return "Dead"
        case .prepareEpochFence: return "PrepareEpochFence"
        }
    }
}

/// The value of a record in `__transaction_state` (Kafka's `TransactionLogValue`); a null value
/// is the tombstone of an expired transactional id.
///
/// | version | fields after the int16 version |
/// |---|---|
/// | 0 | producer_id int64, producer_epoch int16, transaction_timeout_ms int32, transaction_status int8, transaction_partitions nullable [topic string, partition_ids [int32]], last_update_timestamp_ms int64, start_timestamp_ms int64 |
/// | 1 | the same, flexible (compact strings and arrays), with tagged fields 0 previous_producer_id int64, 1 next_producer_id int64, 2 client_transaction_version int16 |
///
/// Sluice writes version 0, as Kafka does for clients that do not use transactions v2 (KIP-890
/// part 2), and reads both (KIP-915: later versions only add tagged fields, so versions above 1
/// are read with version 1's layout).
public struct TransactionLogValue: Hashable, Sendable {
    public struct Partitions: Hashable, Sendable {
        public var topic: String
        public var partitionIds: [Int32]

        public init(topic: String, partitionIds: [Int32]) {
            self.topic = topic
            self.partitionIds = partitionIds
        }
    }

    public var producerId: Int64
    /// -1 when none (tagged field 0 of version 1).
    public var previousProducerId: Int64 = -1
    /// -1 when none (tagged field 1 of version 1).
    public var nextProducerId: Int64 = -1
    public var producerEpoch: Int16
    public var transactionTimeoutMs: Int32
    public var status: TransactionStatus
    /// Null in the record when the transaction has no partitions (Kafka writes null for Empty,
    /// CompleteCommit and CompleteAbort); decoded as empty.
    public var partitions: [Partitions]
    public var lastUpdateTimestampMs: Int64
    /// -1 when no transaction is in progress.
    public var startTimestampMs: Int64
    public var clientTransactionVersion: Int16 = 0

    public init(producerId: Int64, producerEpoch: Int16, transactionTimeoutMs: Int32, status: TransactionStatus,
                partitions: [Partitions] = [], lastUpdateTimestampMs: Int64, startTimestampMs: Int64) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.transactionTimeoutMs = transactionTimeoutMs
        self.status = status
        self.partitions = partitions
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
        self.startTimestampMs = startTimestampMs
    }

    /// Decodes a value, version prefix included.
    public init(bytes: ByteBuffer) throws {
        var reader = WireReader(bytes)
        let version = try reader.readInt16()
        guard version >= 0 else { throw WireError.invalidValue("transaction log value version \(version)") }
        let flexible = version >= 1
        producerId = try reader.readInt64()
        producerEpoch = try reader.readInt16()
        transactionTimeoutMs = try reader.readInt32()
        let rawStatus = try reader.readInt8()
        guard let status = TransactionStatus(rawValue: rawStatus) else {
            throw WireError.invalidValue("transaction status \(rawStatus)")
        }
        self.status = status
        partitions = try reader.readNullableArray(compact: flexible) { r in
            let topic = try r.readString(compact: flexible, field: "topic")
            let ids = try r.readArray(compact: flexible, field: "partition_ids") { try $0.readInt32() }
            if flexible { _ = try r.readTaggedFields { _, _ in false } }
            return Partitions(topic: topic, partitionIds: ids)
        } ?? []
        lastUpdateTimestampMs = try reader.readInt64()
        startTimestampMs = try reader.readInt64()
        if flexible {
            var previous: Int64 = -1
            var next: Int64 = -1
            var clientVersion: Int16 = 0
            _ = try reader.readTaggedFields { tag, field in
                switch tag {
                case 0: previous = try field.readInt64()
                case 1: next = try field.readInt64()
                case 2: clientVersion = try field.readInt16()
                default: return false
                }
                return true
            }
            previousProducerId = previous
            nextProducerId = next
            clientTransactionVersion = clientVersion
        }
    }

    /// The value's bytes (version 0), version prefix included.
    public func encoded() -> ByteBuffer {
        var writer = WireWriter(capacity: 64 + partitions.reduce(0) { $0 + $1.topic.utf8.count + 4 * $1.partitionIds.count })
        writer.writeInt16(0)
        writer.writeInt64(producerId)
        writer.writeInt16(producerEpoch)
        writer.writeInt32(transactionTimeoutMs)
        writer.writeInt8(status.rawValue)
        writer.writeNullableArray(partitions.isEmpty ? nil : partitions, compact: false) { w, p in
            w.writeString(p.topic, compact: false)
            w.writeArray(p.partitionIds, compact: false) { $0.writeInt32($1) }
        }
        writer.writeInt64(lastUpdateTimestampMs)
        writer.writeInt64(startTimestampMs)
        return writer.buffer
    }
}
