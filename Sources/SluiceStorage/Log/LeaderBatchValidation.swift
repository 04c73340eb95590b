import KafkaProtocol
import NIOCore
import SluiceBase

/// What a batch must be before a leader appends it (Kafka's `LogValidator` for what clients
/// send). This is the only validation of produced batches: the broker hands a produce request's
/// batches to the log as they came, and the log refuses what would break it or its readers. A
/// batch whose CRC does not match would stop recovery after a crash, which cuts the log at the
/// first invalid batch and every later one with it; a batch whose offset delta does not match its
/// record count would give its records offsets that others also get.
///
/// The checks, in order, with the error a producer gets:
/// - at least one batch (INVALID_RECORD);
/// - each at most `max.message.bytes`, and no larger than `segment.bytes` (MESSAGE_TOO_LARGE);
/// - magic 2 (UNSUPPORTED_FOR_MESSAGE_FORMAT), the CRC-32C (CORRUPT_MESSAGE), a known codec
///   (UNSUPPORTED_COMPRESSION_TYPE), and exactly one record per offset of its range
///   (INVALID_RECORD), as ``RecordBatch/validateProduced()`` says;
/// - no control batch (only the broker writes those) and no transactional batch (the log keeps
///   no transaction state) (INVALID_RECORD);
/// - on a compacted topic, a key on every record (INVALID_RECORD).
///
/// Nothing is decompressed except for the key check of compacted topics and for a batch whose
/// max timestamp is -1 although its records have timestamps (sarama before 1.24): its maximum is
/// computed from the records and written into the batch with a new CRC, as Kafka does, or the
/// time index would never find its records.
public enum LeaderBatchValidation {
    /// Checks `batches` against `config`; returns them as they are to be appended.
    public static func validate(_ batches: [RecordBatch], config: LogConfig) throws -> [RecordBatch] {
        try validate(batches, limits: AppendLimits(config))
    }

    static func validate(_ batches: [RecordBatch], limits: AppendLimits) throws -> [RecordBatch] {
        guard !batches.isEmpty else {
            throw LogAppendError.invalidBatch(.invalidRecord("a produce request must have at least one record batch per partition"))
        }
        var repaired: [RecordBatch]?  // a copy only when a batch changes (rare)
        for i in batches.indices {
            let batch = batches[i]
            try check(batch, limits: limits)
            if needsMaxTimestamp(batch) {
                if repaired == nil { repaired = batches }
                repaired![i] = try repairingMaxTimestamp(batch)
            }
        }
        return repaired ?? batches
    }

    static func check(_ batch: RecordBatch, limits: AppendLimits) throws {
        guard batch.totalSize <= limits.maxBatchBytes else {
            throw LogAppendError.batchTooLarge(size: batch.totalSize, limit: limits.maxBatchBytes)
        }
        do {
            try batch.validateProduced()
        } catch let error as RecordBatchError {
            throw LogAppendError.invalidBatch(error)
        }
        let attributes = batch.attributes
        if attributes.isControl {
            throw LogAppendError.invalidBatch(.invalidRecord("clients cannot produce control batches"))
        }
        if attributes.isTransactional {
            throw LogAppendError.invalidBatch(.invalidRecord("transactional batches are not supported by this broker"))
        }
        if limits.compacted { try CompactedTopicCheck.requireKeys(batch) }
    }

    /// A create-time batch with records whose max timestamp was left at -1.
    static func needsMaxTimestamp(_ batch: RecordBatch) -> Bool {
        batch.maxTimestamp < 0 && batch.baseTimestamp >= 0 && batch.recordCount > 0
            && batch.attributes.timestampType == .createTime
    }

    /// The batch with its max timestamp computed from the records when the producer left it at
    /// -1 although they carry timestamps (the CRC, which covers it, rewritten); otherwise as is.
    static func repairingMaxTimestamp(_ batch: RecordBatch) throws -> RecordBatch {
        guard needsMaxTimestamp(batch) else { return batch }
        let records: [Record]
        do {
            records = try batch.records()
        } catch let error as RecordBatchError {
            throw LogAppendError.invalidBatch(error)
        }
        guard let maximum = records.map(\.timestamp).max(), maximum >= 0 else { return batch }
        var bytes = ByteBufferAllocator().buffer(capacity: batch.totalSize)
        bytes.writeImmutableBuffer(batch.bytes)
        bytes.setInteger(maximum, at: 35)  // maxTimestamp
        let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        bytes.setInteger(crc, at: 17)
        return try RecordBatch(bytes: bytes)
    }
}
