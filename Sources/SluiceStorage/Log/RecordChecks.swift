import KafkaProtocol
import NIOCore

/// The checks of a leader that look at individual records (Kafka's `LogValidator.validateRecord`):
/// on a compacted topic every record needs a key (the cleaner keeps the latest record per key),
/// and with `message.timestamp.before.max.ms` / `.after.max.ms` (or the deprecated
/// `.difference.max.ms`) a create-time record's timestamp must lie within that far of the broker's
/// clock. A refused record is named by its index in its batch (KIP-467), every refused record of
/// the first batch that has any, as Kafka reports them; nothing of the request is appended.
///
/// Records are decoded only when a check needs them: never for a delete-policy topic with the
/// default (unbounded) timestamp limits.
enum RecordChecks {
    static func needed(_ limits: AppendLimits) -> Bool {
        limits.compacted || limits.checksTimestamps
    }

    /// The batch's refused records, nil when every record passes.
    static func rejected(_ batch: RecordBatch, limits: AppendLimits, now: Int64,
                         partition: String) throws -> RejectedRecords? {
        if batch.isControl { return nil }
        guard let records = try decode(batch) else { return nil }
        let checkTimestamps = limits.checksTimestamps && batch.attributes.timestampType == .createTime
        let earliest = now &- limits.timestampBeforeMaxMs, latest = now &+ limits.timestampAfterMaxMs
        var refused: [RejectedRecords.Record] = []
        var timestampAtFault = false
        for (index, record) in records.enumerated() {
            if limits.compacted && record.key == nil {
                refused.append(.init(batchIndex: Int32(index),
                                     message: "Compacted topic cannot accept message without key in topic partition \(partition)."))
                continue
            }
            guard checkTimestamps else { continue }
            let timestamp = batch.baseTimestamp &+ record.timestampDelta
            // -1: no timestamp (Kafka skips the check for those).
            if timestamp != -1 && (timestamp < earliest || timestamp > latest) {
                timestampAtFault = true
                let offset = batch.baseOffset + Int64(record.offsetDelta)
                refused.append(.init(batchIndex: Int32(index), message:
                    "Timestamp \(timestamp) of message with offset \(offset) is out of range. "
                    + "The timestamp should be within [\(earliest), \(latest)]"))
            }
        }
        if refused.isEmpty { return nil }
        return RejectedRecords(records: refused, errorCode: timestampAtFault ? .invalidTimestamp : .invalidRecord)
    }

    /// The batch's records, or nil when this build lacks its codec (accepted whole, as the
    /// cleaner keeps such batches). A codec it has that fails on these bytes: a corrupt batch.
    static func decode(_ batch: RecordBatch) throws -> [RawRecord]? {
        let section: ByteBuffer
        do {
            section = try RawRecords.section(of: batch)
        } catch is CompressionError {
            guard let codec = batch.compression, (try? codec.compress(ByteBuffer())) != nil else { return nil }
            throw LogAppendError.invalidBatch(.invalidRecord("the \(codec) records of the batch do not decompress"))
        } catch let e as RecordBatchError {
            throw LogAppendError.invalidBatch(e)
        }
        do {
            return try RawRecords.parse(section, count: batch.recordCount)
        } catch let e as RecordBatchError {
            throw LogAppendError.invalidBatch(e)
        } catch {
            throw LogAppendError.invalidBatch(.invalidRecord("\(error)"))
        }
    }
}
