import KafkaProtocol
import NIOCore

/// One record of `__consumer_offsets` as the group coordinator reads and writes it: an offset
/// commit, a classic group's metadata, or one of a consumer group's (KIP-848) records, each with
/// a nil value for a tombstone (deletion; compaction later drops the key).
public enum CoordinatorRecord: Hashable, Sendable {
    case offsetCommit(OffsetCommitKey, OffsetCommitValue?)
    case groupMetadata(GroupMetadataKey, GroupMetadataValue?)
    case consumerGroup(ConsumerGroupRecord)

    /// The group the record belongs to.
    public var groupId: String {
        switch self {
        case let .offsetCommit(key, _): return key.group
        case let .groupMetadata(key, _): return key.group
        case let .consumerGroup(record): return record.groupId
        }
    }

    /// The record's key bytes (version prefix included).
    public var keyBytes: ByteBuffer {
        var writer = WireWriter(capacity: 64)
        switch self {
        case let .offsetCommit(key, _): key.encode(to: &writer)
        case let .groupMetadata(key, _): key.encode(to: &writer)
        case let .consumerGroup(record): record.encodeKey(to: &writer)
        }
        return writer.buffer
    }

    /// The record's value bytes; nil for a tombstone.
    public var valueBytes: ByteBuffer? {
        switch self {
        case let .offsetCommit(_, value): return value?.encoded()
        case let .groupMetadata(_, value): return value?.encoded()
        case let .consumerGroup(record): return record.valueBytes
        }
    }

    /// Decodes a record of the topic. Returns nil for keys of other kinds (key versions Sluice
    /// does not know, such as share groups' records), which a reader skips, as Kafka does for
    /// records it cannot interpret. Throws for a key or value that is malformed.
    public init?(key: ByteBuffer?, value: ByteBuffer?) throws {
        guard let key else { throw WireError.invalidValue("__consumer_offsets record without a key") }
        var reader = WireReader(key)
        let version = try reader.readInt16()
        if OffsetCommitKey.versions.contains(version) {
            let k = try OffsetCommitKey(fieldsFrom: &reader)
            self = .offsetCommit(k, try value.map(OffsetCommitValue.init(bytes:)))
        } else if version == GroupMetadataKey.version {
            let k = try GroupMetadataKey(fieldsFrom: &reader)
            self = .groupMetadata(k, try value.map(GroupMetadataValue.init(bytes:)))
        } else if ConsumerGroupRecord.keyVersions.contains(version) {
            self = .consumerGroup(try ConsumerGroupRecord(keyVersion: version, keyFields: &reader, value: value))
        } else {
            return nil
        }
    }
}

extension CoordinatorRecord {
    /// One uncompressed batch holding `records`, with CreateTime `timestamp`, as Kafka's
    /// coordinator writes them (no producer id: these appends are not idempotent).
    /// With `transactionalProducer` (a TxnOffsetCommit), a transactional batch of that producer
    /// id and epoch (no sequence: the coordinator's appends skip the sequence checks).
    public static func batch(_ records: [CoordinatorRecord], timestamp: Int64,
                             transactionalProducer: (producerId: Int64, producerEpoch: Int16)? = nil) throws -> RecordBatch {
        var builder = transactionalProducer.map {
            RecordBatchBuilder(producerId: $0.producerId, producerEpoch: $0.producerEpoch, baseSequence: -1,
                               isTransactional: true, capacity: 64 * max(records.count, 1))
        } ?? RecordBatchBuilder(compression: .none, capacity: 64 * max(records.count, 1))
        for record in records {
            builder.append(key: record.keyBytes, value: record.valueBytes, timestamp: timestamp)
        }
        return try builder.build()
    }

    /// The coordinator records in `batches`, in log order. Control batches and transactional
    /// batches are skipped (``decodeResolvingTransactions(_:)`` resolves them), as are records of
    /// kinds Sluice does not know.
    public static func decode(_ batches: [RecordBatch]) throws -> [CoordinatorRecord] {
        var out: [CoordinatorRecord] = []
        for batch in batches where !batch.isControl && !batch.isTransactional {
            for record in try batch.records() {
                if let decoded = try CoordinatorRecord(key: record.key, value: record.value) {
                    out.append(decoded)
                }
            }
        }
        return out
    }
}
