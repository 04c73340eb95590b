import KafkaProtocol

extension DiskPartitionLog {
    /// ListOffsets' special timestamps, as Kafka defines them.
    public enum SpecialTimestamp {
        public static let latest: Int64 = -1
        public static let earliest: Int64 = -2
        public static let maxTimestamp: Int64 = -3
    }

    /// The first record whose timestamp is >= `timestamp` (at or above the log start), found
    /// through the time and offset indexes; only the one batch holding it is read and decoded.
    ///
    /// Also answers ListOffsets' special values: -1 (latest: the log end, timestamp -1),
    /// -2 (earliest: the log start) and -3 (the record with the largest timestamp, KIP-734).
    /// When the batch cannot be decoded (a codec not available here), answers the batch's first
    /// offset and max timestamp.
    public func offset(forTimestamp timestamp: Int64) throws -> TimestampAndOffset? {
        try locked { state in
            let logStart = state.logStartOffset
            switch timestamp {
            case SpecialTimestamp.latest:
                return TimestampAndOffset(timestamp: -1, offset: state.logEndOffset,
                                          leaderEpoch: state.epochs.latestEpoch ?? -1)
            case SpecialTimestamp.earliest:
                return TimestampAndOffset(timestamp: -1, offset: logStart,
                                          leaderEpoch: state.epochs.epoch(forOffset: logStart) ?? -1)
            case SpecialTimestamp.maxTimestamp:
                return try recordWithMaxTimestamp(state)
            default:
                for segment in state.segments.segments where !segment.isEmpty && segment.maxTimestamp >= timestamp {
                    guard segment.nextOffset > logStart,
                          let (position, header) = try segment.firstBatch(atOrAfterTimestamp: timestamp, minOffset: logStart)
                    else { continue }
                    let batch = try segment.batch(at: position, header: header)
                    if let records = try? batch.records(),
                       let record = records.first(where: { $0.timestamp >= timestamp && $0.offset >= logStart }) {
                        return TimestampAndOffset(timestamp: record.timestamp, offset: record.offset,
                                                  leaderEpoch: header.partitionLeaderEpoch)
                    }
                    if header.lastOffset >= logStart {
                        return TimestampAndOffset(timestamp: header.maxTimestamp, offset: max(header.baseOffset, logStart),
                                                  leaderEpoch: header.partitionLeaderEpoch)
                    }
                }
                return nil
            }
        }
    }

    private func recordWithMaxTimestamp(_ state: LogState) throws -> TimestampAndOffset? {
        var best: Segment?
        for segment in state.segments.segments where !segment.isEmpty && segment.nextOffset > state.logStartOffset {
            if best == nil || segment.maxTimestamp > best!.maxTimestamp { best = segment }
        }
        guard let segment = best, let (position, header) = try segment.translate(segment.offsetOfMaxTimestamp) else {
            return nil
        }
        let batch = try segment.batch(at: position, header: header)
        if let records = try? batch.records(), let record = records.first(where: { $0.timestamp == header.maxTimestamp }) {
            return TimestampAndOffset(timestamp: record.timestamp, offset: record.offset,
                                      leaderEpoch: header.partitionLeaderEpoch)
        }
        return TimestampAndOffset(timestamp: header.maxTimestamp, offset: header.lastOffset,
                                  leaderEpoch: header.partitionLeaderEpoch)
    }
}
