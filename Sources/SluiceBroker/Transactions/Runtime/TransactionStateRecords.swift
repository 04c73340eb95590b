import KafkaProtocol
import NIOCore

/// Encoding and replay of `__transaction_state` batches.
enum TransactionStateRecords {
    /// One uncompressed batch with the id's record (no producer id: coordinator writes are not
    /// idempotent, as in Kafka).
    static func batch(_ key: TransactionLogKey, _ value: TransactionLogValue, timestamp: Int64) throws -> RecordBatch {
        var builder = RecordBatchBuilder(compression: .none, capacity: 128)
        builder.append(key: key.encoded(), value: value.encoded(), timestamp: timestamp)
        return try builder.build()
    }

    /// The latest value of each transactional id in `batches` (log order); a tombstone removes
    /// the id. Records that are not transaction log records are skipped.
    static func replay(_ batches: [RecordBatch]) throws -> [String: TransactionLogValue] {
        var latest: [String: TransactionLogValue] = [:]
        for batch in batches where !batch.isControl {
            for record in try batch.records() {
                guard let keyBytes = record.key, let key = try? TransactionLogKey(bytes: keyBytes) else { continue }
                if let valueBytes = record.value {
                    latest[key.transactionalId] = try TransactionLogValue(bytes: valueBytes)
                } else {
                    latest[key.transactionalId] = nil
                }
            }
        }
        return latest
    }
}
