import KafkaProtocol

extension Segment {
    /// The header of the batch at `position` (through the segment's ``HeaderWindow``).
    func header(at position: Int) throws -> BatchHeader? {
        try headers.header(at: position, in: file, end: size)
    }

    /// The first batch whose last offset is >= `offset`: its position and header; nil when the
    /// segment holds nothing at or after `offset`.
    func translate(_ offset: Int64) throws -> (position: Int, header: BatchHeader)? {
        if offset >= nextOffset { return nil }
        var position: Int
        if let hint = readHint, hint.offset == offset, hint.position < size {
            position = hint.position
        } else {
            position = try indexedPosition { $0.floor(offset: offset) }
        }
        while position < size, let header = try header(at: position) {
            if header.lastOffset >= offset { return (position, header) }
            position += header.totalSize
        }
        return nil
    }

    /// Where a read that starts with batch `first` at `start` ends: after the last whole batch
    /// that ends at or before `limit` (after `first` itself, even when it passes `limit`). Leaves
    /// a hint for the read that continues from there.
    func endOfBatches(from start: Int, first: BatchHeader, limit: Int) throws -> Int {
        var position = start + first.totalSize
        var nextOffset: Int64? = first.nextOffset
        if limit - position >= BatchHeader.size {
            // Far limits: start from the last index entry before the limit.
            let jump = try indexedPosition { $0.floor(position: limit) }
            if jump > position {
                position = jump
                nextOffset = nil
            }
        }
        while position + BatchHeader.size <= limit, let header = try header(at: position) {
            if position + header.totalSize > limit {
                readHint = (nextOffset ?? header.baseOffset, position)
                return position
            }
            position += header.totalSize
            nextOffset = header.nextOffset
        }
        readHint = nextOffset.map { ($0, position) }
        return position
    }

    /// The first batch with a max timestamp >= `timestamp` that ends at or after `minOffset`.
    func firstBatch(atOrAfterTimestamp timestamp: Int64, minOffset: Int64) throws -> (position: Int, header: BatchHeader)? {
        if batchCount > 0 && maxTimestamp < timestamp { return nil }
        let startOffset = max(timeIndex.floor(timestamp: timestamp) ?? baseOffset, minOffset)
        var position = try indexedPosition { $0.floor(offset: startOffset) }
        while position < size, let header = try header(at: position) {
            if header.maxTimestamp >= timestamp && header.lastOffset >= minOffset { return (position, header) }
            position += header.totalSize
        }
        return nil
    }

    /// Reads the whole batch at `position` (for timestamp lookups and tools, not fetches).
    func batch(at position: Int, header: BatchHeader) throws -> RecordBatch {
        let bytes = try file.readBuffer(count: header.totalSize, at: position)
        return try RecordBatch(bytes: bytes)
    }

    /// The position of the offset index entry `lookup` picks (0 without one), checked against
    /// the log: the entry must point at a batch with the entry's offset. A damaged index (index
    /// files are trusted after a clean shutdown without being read in full) is rebuilt from the
    /// batch headers, so a lookup never lands inside a batch.
    func indexedPosition(_ lookup: (OffsetIndex) -> (offset: Int64, position: Int)?) throws -> Int {
        guard let entry = lookup(offsetIndex) else { return 0 }
        if try header(at: entry.position)?.baseOffset == entry.offset { return entry.position }
        try rebuildIndexesFromHeaders()
        headers.invalidate()
        return lookup(offsetIndex)?.position ?? 0
    }
}
