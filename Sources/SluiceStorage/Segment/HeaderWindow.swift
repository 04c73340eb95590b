/// A reusable buffer for reading batch headers at arbitrary positions of one segment file: a
/// single pread serves every header it covers, so sequential fetches of small batches cost a
/// fraction of a system call each rather than one, and no allocation.
///
/// The read size follows the batches: a pread costs a fixed ~0.4 µs plus the copy of every byte
/// it covers, and only the headers are wanted. Small batches get windows of ~16 of them (up to
/// ``maxCapacity``), so the fixed cost is shared; large ones get a window of one header, so that
/// finding a 64 KiB batch does not copy kilobytes of records. The buffer grows only when a
/// segment holds small batches.
///
/// Bytes below a segment's size never change except by truncation, after which the owner
/// calls ``invalidate()``. Used under the owning log's lock only.
final class HeaderWindow {
    /// The buffer never grows past this (per segment being read).
    static let maxCapacity = 16 * 1024
    /// Reads for one header of a large batch.
    static let minRead = 512
    /// Windows for small batches aim to hold this many.
    static let headersPerWindow = 16

    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var length = 0
    /// The size of the last batch whose header was read: the estimate for the next ones.
    private var lastBatchSize = 0

    init(capacity: Int = 4096) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, BatchHeader.size), alignment: 8)
    }

    deinit { buffer.deallocate() }

    func invalidate() {
        length = 0
    }

    /// How much to read for the next window: enough for ``headersPerWindow`` batches of the last
    /// size seen when that is small, a single header otherwise.
    private var readSize: Int {
        guard lastBatchSize > 0 else { return 4096 }
        let many = lastBatchSize * Self.headersPerWindow
        return many <= Self.maxCapacity ? max(many, Self.minRead) : Self.minRead
    }

    /// The header of the batch at `position`, or nil when no whole, plausible batch starts there
    /// before `end`.
    func header(at position: Int, in file: StorageFile, end: Int) throws -> BatchHeader? {
        guard position >= 0, position + BatchHeader.size <= end else { return nil }
        if position < start || position + BatchHeader.size > start + length {
            let want = min(readSize, end - position)
            if want > buffer.count {
                buffer.deallocate()
                buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.maxCapacity, alignment: 8)
            }
            length = 0
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: position)
            guard got >= BatchHeader.size else { return nil }
            length = got
            start = position
        }
        let header = BatchHeader(UnsafeRawBufferPointer(rebasing: buffer[(position - start)...]))
        guard header.isPlausible, position + header.totalSize <= end else { return nil }
        lastBatchSize = header.totalSize
        return header
    }
}
