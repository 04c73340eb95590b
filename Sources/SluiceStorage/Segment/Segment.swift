import KafkaProtocol
import NIOCore
import SluiceBase

/// One segment of a partition's log: the `.log` file of batches starting at `baseOffset`, with
/// its sparse offset and time indexes.
///
/// Invariants:
/// - bytes `[0, size)` of the log file are whole, valid batches with increasing offsets, all
///   `>= baseOffset` and within `Int32` of it; nothing past `size` is ever served;
/// - `nextOffset` is the last batch's next offset (`baseOffset` when empty);
/// - index entries point at batch starts below `size` (see ``OffsetIndex``, ``TimeIndex``);
/// - `indexesPersisted` means the index files on disk equal the in-memory indexes.
///
/// Thread safety: a segment is only touched under its log's lock (the `@unchecked Sendable`
/// promise); work outside the lock uses duplicated descriptors. For the same reason its hot
/// properties skip Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`): no two
/// threads reach them at once, and no method keeps one in an inout access across a call.
final class Segment: @unchecked Sendable {
    let baseOffset: Int64
    let directory: String
    let file: StorageFile
    @exclusivity(unchecked) private(set) var size: Int = 0
    @exclusivity(unchecked) private(set) var nextOffset: Int64
    @exclusivity(unchecked) private(set) var offsetIndex: OffsetIndex
    @exclusivity(unchecked) private(set) var timeIndex: TimeIndex
    /// The largest batch max timestamp, and the base offset of the first batch that has it.
    @exclusivity(unchecked) private(set) var maxTimestamp: Int64 = -1
    @exclusivity(unchecked) private(set) var offsetOfMaxTimestamp: Int64
    @exclusivity(unchecked) private(set) var batchCount = 0
    @exclusivity(unchecked) private var bytesSinceLastIndexEntry = 0
    /// Descriptors for read results (see ``ReadHandlePool``).
    let readHandles = ReadHandlePool()
    /// Appends up to this size are copied into ``smallWriteBuffer`` and written with one pwrite.
    static let smallWriteBytes = 16 * 1024
    /// Scratch space for small appends (allocated on first use; only the active segment appends).
    var smallWriteBuffer: ScratchBuffer {
        if let buffer = smallWrites { return buffer }
        let buffer = ScratchBuffer(capacity: Segment.smallWriteBytes)
        smallWrites = buffer
        return buffer
    }
    @exclusivity(unchecked) private var smallWrites: ScratchBuffer?
    /// Reads headers for lookups (allocated on first use).
    var headers: HeaderWindow {
        if let window = headerWindow { return window }
        let window = HeaderWindow()
        headerWindow = window
        return window
    }
    @exclusivity(unchecked) private var headerWindow: HeaderWindow?
    /// Where the last read ended: the first batch with a last offset >= `offset` starts at
    /// `position`. A consumer's next fetch starts exactly there, and then costs no index search.
    @exclusivity(unchecked) var readHint: (offset: Int64, position: Int)?
    /// Bytes of a failed write may remain past `size` (the cut-back failed too).
    @exclusivity(unchecked) private var hasStaleTail = false
    /// The `index.interval.bytes` last used, for rebuilding indexes.
    @exclusivity(unchecked) private var indexIntervalBytes = 4096
    /// The first batch's max timestamp, the base of `segment.ms` rolls (nil until known).
    @exclusivity(unchecked) private var firstBatchTimestamp: Int64??
    let createdMs: Int64
    /// Bytes known to be on stable storage.
    @exclusivity(unchecked) var syncedSize = 0
    /// Counts truncations, so that a sync done outside the lock knows whether it still applies.
    @exclusivity(unchecked) private(set) var truncations = 0
    @exclusivity(unchecked) private(set) var indexesPersisted = false

    var logPath: String { SegmentFiles.path(directory, baseOffset, SegmentFiles.logSuffix) }
    var indexPath: String { SegmentFiles.path(directory, baseOffset, SegmentFiles.indexSuffix) }
    var timeIndexPath: String { SegmentFiles.path(directory, baseOffset, SegmentFiles.timeIndexSuffix) }

    private init(directory: String, baseOffset: Int64, file: StorageFile, now: Int64) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.file = file
        self.nextOffset = baseOffset
        self.offsetOfMaxTimestamp = baseOffset
        self.offsetIndex = OffsetIndex(baseOffset: baseOffset)
        self.timeIndex = TimeIndex(baseOffset: baseOffset)
        self.createdMs = now
    }

    /// Creates an empty segment (replacing stale files of the same name).
    static func create(directory: String, baseOffset: Int64, faults: StorageFaults?, now: Int64) throws -> Segment {
        let path = SegmentFiles.path(directory, baseOffset, SegmentFiles.logSuffix)
        let file = try StorageFile(path: path, create: true, faults: faults)
        do {
            try file.truncate(to: 0)
            try FileSystem.unlinkIfPresent(SegmentFiles.path(directory, baseOffset, SegmentFiles.indexSuffix))
            try FileSystem.unlinkIfPresent(SegmentFiles.path(directory, baseOffset, SegmentFiles.timeIndexSuffix))
        } catch {
            file.close()
            throw error
        }
        let segment = Segment(directory: directory, baseOffset: baseOffset, file: file, now: now)
        segment.firstBatchTimestamp = .some(nil)
        return segment
    }

    /// A segment over an already open file that will be renamed to this segment's name (the
    /// cleaner's output); call ``recover(indexIntervalBytes:expectedFirstOffset:accept:)`` next.
    static func adopt(directory: String, baseOffset: Int64, file: StorageFile, now: Int64) -> Segment {
        Segment(directory: directory, baseOffset: baseOffset, file: file, now: now)
    }

    /// Opens an existing segment file without reading it; call ``loadTrustedIndexes()`` or
    /// ``recover(onBatch:)`` next.
    static func open(directory: String, baseOffset: Int64, faults: StorageFaults?, now: Int64) throws -> Segment {
        let file = try StorageFile(path: SegmentFiles.path(directory, baseOffset, SegmentFiles.logSuffix),
                                   create: false, faults: faults)
        return Segment(directory: directory, baseOffset: baseOffset, file: file, now: now)
    }

    var isEmpty: Bool { size == 0 }

    // MARK: Appending

    /// Writes prepared batches at the end of the file and indexes them. On failure the file is
    /// cut back to its previous size (best effort) and the segment is unchanged.
    func append(_ batches: borrowing PreparedBatches, indexIntervalBytes: Int) throws {
        self.indexIntervalBytes = indexIntervalBytes
        try cutStaleTail()
        let start = size
        var position = start
        if batches.byteCount <= Self.smallWriteBytes {
            // Small appends: one contiguous pwrite of a copy is cheaper than gathering.
            try batches.copyBytes(into: smallWriteBuffer) { try write($0, cuttingBackTo: start) }
        } else {
            do {
                var i = 0
                while i < batches.count {
                    let chunk = i..<min(batches.count, i + 256)
                    let chunkBytes = try batches.withRawParts(chunk) { parts -> Int in
                        try file.write(parts, at: position)
                        return parts.reduce(0) { $0 + $1.count }
                    }
                    position += chunkBytes
                    i = chunk.upperBound
                }
            } catch {
                cutBack(to: start)
                throw error
            }
        }
        var at = start
        for i in 0..<batches.count {
            let header = batches.header(i)
            indexAppended(header, at: at, indexIntervalBytes: indexIntervalBytes)
            at += header.totalSize
        }
        size = at
        indexesPersisted = false
    }

    /// Writes `batch` (at most ``smallWriteBytes``) with the fields of `header` that the leader
    /// sets: base offset, partition leader epoch, and for LogAppendTime the timestamp type and
    /// max timestamp with the CRC recomputed. One copy into the write buffer, patched there, one
    /// pwrite. On failure the segment is unchanged (see ``append(_:indexIntervalBytes:)``).
    func append(_ batch: RecordBatch, as header: BatchHeader, indexIntervalBytes: Int) throws {
        self.indexIntervalBytes = indexIntervalBytes
        try cutStaleTail()
        let count = header.totalSize
        precondition(count <= Self.smallWriteBytes && count == batch.totalSize)
        let out = UnsafeMutableRawBufferPointer(rebasing: smallWriteBuffer.bytes[0..<count])
        batch.bytes.withUnsafeReadableBytes { out.copyMemory(from: $0) }
        out.storeBytes(of: header.baseOffset.bigEndian, toByteOffset: 0, as: Int64.self)
        out.storeBytes(of: header.partitionLeaderEpoch.bigEndian, toByteOffset: 12, as: Int32.self)
        if header.usesLogAppendTime {
            out.storeBytes(of: header.attributes.bigEndian, toByteOffset: 21, as: Int16.self)
            out.storeBytes(of: header.maxTimestamp.bigEndian, toByteOffset: 35, as: Int64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[21...]))
            out.storeBytes(of: crc.bigEndian, toByteOffset: 17, as: UInt32.self)
        }
        try write(UnsafeRawBufferPointer(out), cuttingBackTo: size)
        indexAppended(header, at: size, indexIntervalBytes: indexIntervalBytes)
        indexesPersisted = false
    }

    /// Writes `bytes` at `start` (the end of the segment); on failure cuts the file back to
    /// `start` and rethrows.
    private func write(_ bytes: UnsafeRawBufferPointer, cuttingBackTo start: Int) throws {
        do {
            try file.write(bytes, at: start)
        } catch {
            cutBack(to: start)
            throw error
        }
    }

    /// Cuts the file back to `start` after a failed write (best effort).
    private func cutBack(to start: Int) {
        do {
            try file.truncate(to: start)
        } catch {
            // The file keeps bytes past `size` that no read serves; cut them before the next
            // append, and recovery cuts them if we never get to.
            hasStaleTail = true
        }
    }

    /// Removes what a failed write left past `size`.
    func cutStaleTail() throws {
        guard hasStaleTail else { return }
        try file.truncate(to: size)
        hasStaleTail = false
    }

    /// Updates sizes, indexes and timestamps for a batch now stored at `position`.
    private func indexAppended(_ header: BatchHeader, at position: Int, indexIntervalBytes: Int) {
        if header.maxTimestamp > maxTimestamp || batchCount == 0 {
            maxTimestamp = header.maxTimestamp
            offsetOfMaxTimestamp = header.baseOffset
        }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            offsetIndex.append(offset: header.baseOffset, position: position)
            timeIndex.maybeAppend(timestamp: maxTimestamp, offset: offsetOfMaxTimestamp)
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += header.totalSize
        if batchCount == 0 { firstBatchTimestamp = .some(header.maxTimestamp) }
        batchCount += 1
        nextOffset = header.nextOffset
        size = position + header.totalSize
    }

    /// Whether `batches` still fit: bytes, index capacity, and offsets within Int32 of the base.
    func canHold(bytes: Int, lastOffset: Int64, segmentBytes: Int, indexBytes: Int) -> Bool {
        if size > 0 && size + bytes > segmentBytes { return false }
        if size + bytes > Int(Int32.max) { return false }
        if lastOffset - baseOffset > Int64(Int32.max) { return false }
        if offsetIndex.byteSize + OffsetIndex.entrySize > indexBytes
            || timeIndex.byteSize + TimeIndex.entrySize > indexBytes { return false }
        return true
    }

    /// The first batch's max timestamp (reads its header once for a loaded segment).
    func rollingBaseTimestamp() -> Int64? {
        if let known = firstBatchTimestamp { return known }
        var reader = FileBatchReader(file: file, from: 0, end: size, windowSize: BatchHeader.size)
        let first = (try? reader.nextHeader())??.header.maxTimestamp
        firstBatchTimestamp = .some(first)
        return first
    }

    // MARK: Loading and recovery

    /// Rebuilds both indexes from the batch headers (the data itself is trusted) and drops the
    /// index files, which ``persistIndexes()`` rewrites. Used when an index entry turns out not
    /// to point at its batch.
    func rebuildIndexesFromHeaders() throws {
        let end = size
        offsetIndex = OffsetIndex(baseOffset: baseOffset)
        timeIndex = TimeIndex(baseOffset: baseOffset)
        maxTimestamp = -1
        offsetOfMaxTimestamp = baseOffset
        batchCount = 0
        bytesSinceLastIndexEntry = 0
        nextOffset = baseOffset
        var reader = FileBatchReader(file: file, from: 0, end: end, windowSize: 256 * 1024)
        while let (position, header) = try reader.nextHeader() {
            indexAppended(header, at: position, indexIntervalBytes: indexIntervalBytes)
        }
        size = end
        try removeIndexFiles()
    }

    /// Loads the index files of a segment whose data is trusted (below the recovery point, or
    /// after a clean shutdown) and reads the headers after the last index entry to find the end.
    /// Returns false when anything does not add up; the caller then runs ``recover(onBatch:)``.
    func loadTrustedIndexes() throws -> Bool {
        size = try file.size()
        guard let indexBytes = try AtomicFile.read(indexPath), let timeBytes = try AtomicFile.read(timeIndexPath),
              let index = OffsetIndex.decode(indexBytes, baseOffset: baseOffset, logSize: max(size, 1))
        else { return false }
        let tailStart = index.last?.position ?? 0
        var reader = FileBatchReader(file: file, from: tailStart, end: size, windowSize: 64 * 1024)
        var tailMax: (Int64, Int64)?
        var last: BatchHeader?
        var tailBatches = 0
        while let (_, header) = try reader.nextHeader() {
            if tailMax == nil || header.maxTimestamp > tailMax!.0 { tailMax = (header.maxTimestamp, header.baseOffset) }
            last = header
            tailBatches += 1
        }
        guard reader.stop == .end else { return false }
        if !index.isEmpty && last == nil { return false }
        let next = last?.nextOffset ?? baseOffset
        guard next - baseOffset <= Int64(Int32.max) + 1,
              let times = TimeIndex.decode(timeBytes, baseOffset: baseOffset, nextOffset: next) else { return false }
        if !index.isEmpty && times.count == 0 { return false }
        offsetIndex = index
        timeIndex = times
        nextOffset = next
        maxTimestamp = times.last?.timestamp ?? -1
        offsetOfMaxTimestamp = times.last?.offset ?? baseOffset
        if let (ts, offset) = tailMax, ts > maxTimestamp || times.count == 0 {
            maxTimestamp = ts
            offsetOfMaxTimestamp = offset
        }
        // Approximate: the exact count is only needed to know whether the segment is empty.
        batchCount = index.count + tailBatches
        bytesSinceLastIndexEntry = size - tailStart
        syncedSize = size
        indexesPersisted = true
        return true
    }

    /// Validates every batch (structure, CRC, offsets) from the start, rebuilds the indexes, and
    /// cuts the file at the first batch that is torn or corrupt. `expectedFirstOffset`, for a log
    /// without gaps, is where the first batch must start; each later batch must then start where
    /// the previous one ended. `accept` may veto a batch (returning why) and sees each valid
    /// batch in order. Returns the number of bytes cut and why.
    @discardableResult
    func recover(indexIntervalBytes: Int, expectedFirstOffset: Int64? = nil,
                 accept: (BatchHeader) -> String? = { _ in nil }) throws -> (truncated: Int, reason: String?) {
        let fileSize = try file.size()
        self.indexIntervalBytes = indexIntervalBytes
        headers.invalidate()
        readHint = nil
        offsetIndex = OffsetIndex(baseOffset: baseOffset)
        timeIndex = TimeIndex(baseOffset: baseOffset)
        size = 0
        nextOffset = baseOffset
        maxTimestamp = -1
        offsetOfMaxTimestamp = baseOffset
        batchCount = 0
        bytesSinceLastIndexEntry = 0
        firstBatchTimestamp = .some(nil)
        var reader = FileBatchReader(file: file, from: 0, end: fileSize, windowSize: 1024 * 1024)
        var reason: String?
        var expected = expectedFirstOffset
        while let (position, batch) = try reader.nextBatch() {
            let header = BatchHeader(batch)
            do {
                try batch.validate()
            } catch {
                reason = "batch at position \(position): \(error)"
                break
            }
            guard header.baseOffset >= nextOffset, header.baseOffset >= baseOffset,
                  header.lastOffset - baseOffset <= Int64(Int32.max) else {
                reason = "batch at position \(position) has offsets \(header.baseOffset)...\(header.lastOffset) out of order"
                break
            }
            if let expected, header.baseOffset != expected {
                reason = "batch at position \(position) starts at offset \(header.baseOffset), not \(expected)"
                break
            }
            if let veto = accept(header) {
                reason = "batch at position \(position): \(veto)"
                break
            }
            indexAppended(header, at: position, indexIntervalBytes: indexIntervalBytes)
            if expected != nil { expected = header.nextOffset }
        }
        switch reader.stop {
        case let .truncated(position): reason = reason ?? "torn batch at position \(position)"
        case let .invalid(position, why): reason = reason ?? "invalid bytes at position \(position): \(why)"
        default: break
        }
        let cut = fileSize - size
        if cut > 0 { try file.truncate(to: size) }
        syncedSize = 0
        indexesPersisted = false
        return (cut, cut > 0 ? reason : nil)
    }

    // MARK: Truncation, persistence, removal

    /// Removes every batch whose last offset is >= `offset` (so a batch holding `offset` goes
    /// whole, as in Kafka). Returns the bytes removed.
    @discardableResult
    func truncate(to offset: Int64, indexIntervalBytes: Int) throws -> Int {
        guard let (position, header) = try translate(offset) else { return 0 }
        let removed = size - position
        truncations += 1
        headers.invalidate()
        readHint = nil
        try file.truncate(to: position)
        try removeIndexFiles()
        offsetIndex.truncate(toPosition: position)
        timeIndex.truncate(toOffset: header.baseOffset)
        // Re-derive the end and timestamps from the batches after the last surviving index entry.
        let tailStart = offsetIndex.last?.position ?? 0
        maxTimestamp = timeIndex.last?.timestamp ?? -1
        offsetOfMaxTimestamp = timeIndex.last?.offset ?? baseOffset
        batchCount = offsetIndex.count
        nextOffset = baseOffset
        size = tailStart
        bytesSinceLastIndexEntry = 0
        if tailStart == 0 { firstBatchTimestamp = .some(nil) }
        var reader = FileBatchReader(file: file, from: tailStart, end: position, windowSize: 64 * 1024)
        while let (at, h) = try reader.nextHeader() {
            indexAppended(h, at: at, indexIntervalBytes: indexIntervalBytes)
        }
        size = position
        syncedSize = min(syncedSize, position)
        indexesPersisted = false
        return removed
    }

    /// Adds the final time index entry (the segment's largest timestamp), as Kafka does when a
    /// segment stops being the active one.
    func sealTimeIndex() {
        if batchCount > 0 { timeIndex.maybeAppend(timestamp: maxTimestamp, offset: offsetOfMaxTimestamp) }
    }

    /// Writes both index files atomically (each complete or absent) and fsyncs them; the caller
    /// fsyncs the directory before relying on them (``DiskPartitionLog/flush()`` does).
    func persistIndexes() throws {
        if indexesPersisted { return }
        sealTimeIndex()
        try AtomicFile.write(offsetIndex.encoded(), to: indexPath, faults: file.faults, syncDirectory: false)
        try AtomicFile.write(timeIndex.encoded(), to: timeIndexPath, faults: file.faults, syncDirectory: false)
        indexesPersisted = true
    }

    func removeIndexFiles() throws {
        try FileSystem.unlinkIfPresent(indexPath)
        try FileSystem.unlinkIfPresent(timeIndexPath)
        indexesPersisted = false
    }

    /// fsyncs the log file when it has unsynced bytes.
    func sync() throws {
        try cutStaleTail()
        if syncedSize == size { return }
        let target = size
        try file.sync()
        syncedSize = target
    }

    func close() {
        readHandles.close()
        file.close()
    }

    /// Closes and removes the segment's files. Readers holding duplicated descriptors keep
    /// reading the old inode until they close them.
    func delete() throws {
        readHandles.close()
        file.close()
        try FileSystem.unlinkIfPresent(logPath)
        try FileSystem.unlinkIfPresent(indexPath)
        try FileSystem.unlinkIfPresent(timeIndexPath)
    }
}
