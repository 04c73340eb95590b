import KafkaProtocol
import NIOCore
import SluiceBase

/// Rewrites one batch keeping only some of its records, with offsets, timestamps and producer
/// fields unchanged (Kafka's `MemoryRecords.filterTo`).
///
/// The survivors' bytes are copied verbatim: a record's offset and timestamp are deltas from the
/// batch's base offset and base timestamp, which the new batch keeps, as it keeps the original
/// last offset delta (so producer sequence ranges stay whole). Compressed batches are
/// decompressed and the survivors recompressed with the same codec. `RecordBatchBuilder` is not
/// used because it renumbers offset deltas from zero.
enum BatchFilter {
    enum Outcome {
        /// Every record stays: keep the batch as it is.
        case unchanged
        /// No record stays and nothing requires the batch: drop it.
        case dropped
        /// The rewritten batch.
        case rewritten(ByteBuffer)
    }

    /// Filters `batch` with `keep(record, absolute offset)`. When no record survives but
    /// `retainEmpty` (the producer's last batch, whose sequence numbers must stay known), an
    /// empty batch with the original offsets and sequences is kept. Batches that cannot be
    /// decoded or re-encoded here (a codec not available) come back `.unchanged`.
    static func filter(_ batch: RecordBatch, retainEmpty: Bool, keep: (RawRecord, Int64) -> Bool) -> Outcome {
        if batch.isControl { return .unchanged }
        guard let codec = batch.compression, let section = try? codec.decompress(batch.recordsSection),
              let records = try? RawRecords.parse(section, count: batch.recordCount) else { return .unchanged }
        let base = batch.baseOffset
        let survivors = records.filter { keep($0, base + Int64($0.offsetDelta)) }
        if survivors.count == records.count { return .unchanged }
        if survivors.isEmpty && !retainEmpty { return .dropped }
        var body = ByteBufferAllocator().buffer(capacity: survivors.reduce(0) { $0 + $1.bytes.readableBytes })
        for r in survivors { body.writeImmutableBuffer(r.bytes) }
        guard let compressed = try? codec.compress(body) else { return .unchanged }
        let maxTimestamp: Int64
        if batch.attributes.timestampType == .logAppendTime || survivors.isEmpty {
            maxTimestamp = batch.maxTimestamp
        } else {
            maxTimestamp = survivors.map { batch.baseTimestamp &+ $0.timestampDelta }.max()!
        }
        var out = ByteBufferAllocator().buffer(capacity: RecordBatch.headerSize + compressed.readableBytes)
        out.writeInteger(base)
        out.writeInteger(Int32(RecordBatch.headerSize - RecordBatch.logOverhead + compressed.readableBytes))
        out.writeInteger(batch.partitionLeaderEpoch)
        out.writeInteger(RecordBatch.currentMagic)
        out.writeInteger(UInt32(0))
        out.writeInteger(batch.attributes.rawValue)
        out.writeInteger(batch.lastOffsetDelta)
        out.writeInteger(batch.baseTimestamp)
        out.writeInteger(maxTimestamp)
        out.writeInteger(batch.producerId)
        out.writeInteger(batch.producerEpoch)
        out.writeInteger(batch.baseSequence)
        out.writeInteger(Int32(survivors.count))
        out.writeImmutableBuffer(compressed)
        let crc = out.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        out.setInteger(crc, at: 17)
        return .rewritten(out)
    }

    /// The keyed records of `batch` with their absolute offsets, for the cleaner's key map; nil
    /// when the batch cannot be decoded here.
    static func keys(of batch: RecordBatch) -> [(key: ByteBuffer, offset: Int64)]? {
        if batch.isControl { return [] }
        guard let section = try? RawRecords.section(of: batch),
              let records = try? RawRecords.parse(section, count: batch.recordCount) else { return nil }
        return records.compactMap { r in r.key.map { ($0, batch.baseOffset + Int64(r.offsetDelta)) } }
    }
}
