/// A reusable buffer for reading batch headers at arbitrary positions of one segment file: a
/// single pread of up to `capacity` bytes serves every header it covers, so sequential fetches
/// of small batches cost about one system call per window rather than one per batch, and no
/// allocation at all.
///
/// Bytes below a segment's size never change except by truncation, after which the owner
/// calls ``invalidate()``. Used under the owning log's lock only.
final class HeaderWindow {
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var length = 0

    init(capacity: Int = 4096) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, BatchHeader.size), alignment: 8)
    }

    deinit { buffer.deallocate() }

    func invalidate() {
        length = 0
    }

    /// The header of the batch at `position`, or nil when no whole, plausible batch starts there
    /// before `end`.
    func header(at position: Int, in file: StorageFile, end: Int) throws -> BatchHeader? {
        guard position >= 0, position + BatchHeader.size <= end else { return nil }
        if position < start || position + BatchHeader.size > start + length {
            let want = min(buffer.count, end - position)
            length = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: position)
            start = position
            guard length >= BatchHeader.size else {
                length = 0
                return nil
            }
        }
        let header = BatchHeader(UnsafeRawBufferPointer(rebasing: buffer[(position - start)...]))
        guard header.isPlausible, position + header.totalSize <= end else { return nil }
        return header
    }
}
