/// The sparse time index of one segment: at each offset-index entry, the largest timestamp seen so
/// far in the segment and the base offset of the batch that first reached it.
///
/// An entry (T, o) promises that every batch before batch `o` has timestamps below T, so the
/// first batch with a timestamp >= target lies at or after the floor entry of the target.
/// File format: 12-byte entries, big-endian (timestamp: int64, relative offset: int32), Kafka's
/// layout. A final entry written when the segment completes makes the last entry the segment's
/// largest timestamp.
///
/// Invariants: timestamps strictly increase; offsets never decrease.
struct TimeIndex: Equatable {
    static let entrySize = 12

    let baseOffset: Int64
    private(set) var timestamps: [Int64] = []
    private(set) var relativeOffsets: [Int32] = []

    init(baseOffset: Int64) {
        self.baseOffset = baseOffset
    }

    var count: Int { timestamps.count }
    var byteSize: Int { count * Self.entrySize }
    var last: (timestamp: Int64, offset: Int64)? {
        guard let t = timestamps.last, let o = relativeOffsets.last else { return nil }
        return (t, baseOffset + Int64(o))
    }

    /// Adds an entry when `timestamp` is larger than the last one.
    mutating func maybeAppend(timestamp: Int64, offset: Int64) {
        if let lastTs = timestamps.last, timestamp <= lastTs { return }
        let relative = Int32(offset - baseOffset)
        if let lastOffset = relativeOffsets.last, relative < lastOffset { return }
        timestamps.append(timestamp)
        relativeOffsets.append(relative)
    }

    /// The offset of the entry with the largest timestamp <= `timestamp`; nil when none.
    func floor(timestamp: Int64) -> Int64? {
        guard let i = OffsetIndex.lastIndex(in: timestamps, atMost: timestamp) else { return nil }
        return baseOffset + Int64(relativeOffsets[i])
    }

    /// Drops entries whose offset is >= `offset` (the log was truncated there).
    mutating func truncate(toOffset offset: Int64) {
        let relative = offset - baseOffset
        let keep = relativeOffsets.firstIndex(where: { Int64($0) >= relative }) ?? relativeOffsets.count
        timestamps.removeSubrange(keep...)
        relativeOffsets.removeSubrange(keep...)
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteSize)
        for i in 0..<count {
            appendBigEndian(timestamps[i], to: &out)
            appendBigEndian(relativeOffsets[i], to: &out)
        }
        return out
    }

    /// Decodes an index file; nil when it cannot be trusted.
    static func decode(_ bytes: [UInt8], baseOffset: Int64, nextOffset: Int64) -> TimeIndex? {
        guard bytes.count % entrySize == 0 else { return nil }
        var index = TimeIndex(baseOffset: baseOffset)
        var i = 0
        while i < bytes.count {
            let timestamp: Int64 = readBigEndian(bytes, at: i)
            let relative: Int32 = readBigEndian(bytes, at: i + 8)
            guard relative >= 0, baseOffset + Int64(relative) < max(nextOffset, baseOffset + 1) else { return nil }
            if let lastTs = index.timestamps.last {
                guard timestamp > lastTs, relative >= index.relativeOffsets.last! else { return nil }
            }
            index.timestamps.append(timestamp)
            index.relativeOffsets.append(relative)
            i += entrySize
        }
        return index
    }
}
