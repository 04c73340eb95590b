import KafkaProtocol
import SluiceBase

/// `has-offset-gaps` in a partition directory: written (durably) before the log first holds a
/// gap between batches (compaction, or a follower copying a compacted leader). Without it,
/// recovery requires every batch to start exactly where the previous one ended, which catches
/// damage to the base offset field, a field the batch CRC does not cover.
enum OffsetGapsMarker {
    static let fileName = "has-offset-gaps"

    static func exists(_ directory: String) -> Bool {
        Posix.fileExists("\(directory)/\(fileName)")
    }

    static func write(_ directory: String, faults: StorageFaults?) throws {
        try AtomicFile.write(Array("offsets in this log may have gaps (compaction)\n".utf8),
                             to: "\(directory)/\(fileName)", faults: faults)
    }
}

extension DiskPartitionLog {
    /// Makes the epoch cache ready for batches about to be appended at the log end, whose epochs
    /// are given in order with their base offsets: drops entries no batch backs (they start at or
    /// past the log end), checks that epochs do not go backwards, records new epochs, and writes
    /// the checkpoint before any batch reaches the file (so recovery can check every batch's
    /// epoch against it). Returns the violating epoch when the batches would go backwards.
    func prepareEpochs(_ state: LogState, for batches: [(epoch: Int32, baseOffset: Int64)]) throws -> (requested: Int32, latest: Int32)? {
        if batches.allSatisfy({ state.epochs.isCurrent($0.epoch, logEndOffset: state.logEndOffset) }) { return nil }
        var epochs = state.epochs
        epochs.truncate(fromEnd: state.logEndOffset)
        for batch in batches {
            let latest = epochs.latestEpoch ?? -1
            if batch.epoch < latest { return (batch.epoch, latest) }
            if batch.epoch > latest { epochs.assign(epoch: batch.epoch, startOffset: batch.baseOffset) }
        }
        if epochs != state.epochs {
            try epochs.write(directory: directory, faults: faults)
            state.epochs = epochs
        }
        return nil
    }

    /// Records, durably, that the log is about to hold a gap between offsets.
    func markOffsetGaps(_ state: LogState) throws {
        guard !state.hasOffsetGaps else { return }
        try OffsetGapsMarker.write(directory, faults: faults)
        state.hasOffsetGaps = true
    }
}
