import KafkaProtocol
import NIOCore

extension DiskPartitionLog {
    /// Reads whole batches from the one holding `offset` (or the first after it, across
    /// compaction gaps), as file regions over the segment files: no record byte is copied.
    ///
    /// - At most `maxBytes`, cut at a batch boundary; with `minOneBatch` the first batch comes
    ///   whole even when larger (KIP-74). Without it, a first batch larger than `maxBytes` gives
    ///   an empty result.
    /// - Only batches whose last offset is below `maxOffset`.
    /// - Continues into later segments (a `.concatenation` of regions) until a limit is reached.
    ///
    /// Each region has its own duplicated descriptor, handed back by ``LogReadResult/release()``
    /// (to a per-segment pool that later reads reuse; closed once the segment is gone).
    public func read(from offset: Int64, maxBytes: Int, maxOffset: Int64, minOneBatch: Bool) throws -> LogReadResult {
        // Almost every read is one region: keep it out of arrays.
        var first: (region: FileRegion, pool: ReadHandlePool, lease: ReadLease, generation: UInt64)?
        var more: [(region: FileRegion, pool: ReadHandlePool, lease: ReadLease, generation: UInt64)] = []
        do {
            return try locked { state in
                let logStart = state.logStartOffset
                let logEnd = state.logEndOffset
                guard offset >= logStart, offset <= logEnd else {
                    throw StorageError.offsetOutOfRange(requested: offset, logStart: logStart, logEnd: logEnd)
                }
                var remaining = maxBytes
                var target = offset
                var index = state.segments.floorIndex(offset) ?? 0
                scan: while index < state.segments.count && offset < maxOffset {
                    let segment = state.segments[index]
                    guard let (start, header) = try segment.translate(target) else {
                        index += 1
                        if index < state.segments.count { target = state.segments[index].baseOffset }
                        continue
                    }
                    guard header.lastOffset < maxOffset else { break }
                    var limit = segment.size
                    if maxOffset < segment.nextOffset, let (cut, _) = try segment.translate(maxOffset) {
                        limit = cut
                    }
                    let budget = first == nil && minOneBatch ? max(remaining, header.totalSize) : remaining
                    guard header.totalSize <= budget else { break }
                    let end = try segment.endOfBatches(from: start, first: header, limit: min(limit, start + budget))
                    let pool = segment.readHandles
                    let lease = try pool.take { try segment.file.duplicateHandle() }
                    // Ours alone until the result gives it back: no one writes its generation meanwhile.
                    let part = (FileRegion(fileHandle: lease.handle, readerIndex: start, endIndex: end), pool, lease,
                                lease.generation)
                    if first == nil { first = part } else { more.append(part) }
                    remaining -= end - start
                    if end < segment.size || remaining <= 0 { break scan }
                    index += 1
                    if index < state.segments.count { target = state.segments[index].baseOffset }
                }
                guard let first else {
                    return LogReadResult(records: .bytes(ByteBuffer()), highWatermark: state.highWatermark,
                                         logStartOffset: logStart, logEndOffset: logEnd)
                }
                if more.isEmpty {
                    return LogReadResult(records: .file(first.region), highWatermark: state.highWatermark,
                                         logStartOffset: logStart, logEndOffset: logEnd,
                                         releaser: .lease(first.pool, first.lease, generation: first.generation))
                }
                let all = [first] + more
                return LogReadResult(records: .concatenation(all.map { .file($0.region) }),
                                     highWatermark: state.highWatermark, logStartOffset: logStart, logEndOffset: logEnd,
                                     releaser: .leases(all.map { ($0.pool, $0.lease, $0.generation) }))
            }
        } catch {
            for part in (first.map { [$0] } ?? []) + more { part.pool.giveBack(part.lease, generation: part.generation) }
            throw error
        }
    }
}
