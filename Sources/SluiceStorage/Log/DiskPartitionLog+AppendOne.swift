import KafkaProtocol
import NIOCore

extension DiskPartitionLog {
    /// The common produce: one validated batch of at most ``Segment/smallWriteBytes``. The same
    /// checks and the same effects as the general path of ``appendAsLeader(_:leaderEpoch:now:origin:)``, with the
    /// batch's final header written straight into the segment's write buffer instead of
    /// prepared beside the batch: at 1 KiB a batch costs a write(2) and little else.
    func appendOne(_ batch: RecordBatch, leaderEpoch: Int32, now: Int64, origin: AppendOrigin) throws -> LogAppendInfo {
        var pendingFlush = PendingFlush()
        let marker = batch.isControl ? EndTransactionMarker(controlBatch: batch) : nil
        let info: LogAppendInfo = try locked { state in
            let limits = state.limits
            var header = BatchHeader(batch)
            let firstOffset = state.logEndOffset
            header.baseOffset = firstOffset
            header.partitionLeaderEpoch = leaderEpoch
            if limits.logAppendTime {
                header.attributes |= 0x08
                header.maxTimestamp = now
            }
            if header.hasProducerId {
                var validator = ProducerAppendValidator(table: state.producers, origin: origin)
                if case let .duplicate(original) = try validator.validate(header, marker: marker) {
                    throw Self.duplicate(original, limits: limits, state: state)
                }
            }
            try checkLeaderEpoch(leaderEpoch, at: firstOffset, state: state)
            if let rolledAt = try maybeRoll(state, first: header, now: now) { pendingFlush.rolledAt = rolledAt }
            try state.segments.active.append(batch, as: header, indexIntervalBytes: limits.indexIntervalBytes)
            if header.hasProducerId { recordProducer(header, marker: marker, in: state.segments.active, state: state) }
            state.unflushedMessages += Int64(header.recordCount)
            pendingFlush.all = state.unflushedMessages >= limits.flushMessages
            return LogAppendInfo(
                firstOffset: firstOffset, lastOffset: header.lastOffset, logAppendTime: limits.logAppendTime ? now : -1,
                logStartOffset: state.logStartOffset, recordCount: Int(header.recordCount), byteCount: header.totalSize)
        }
        try pendingFlush.perform(on: self)
        return info
    }
}
