import KafkaProtocol
import NIOCore

/// Walks the batches of a segment file from a position, reading the file in large windows so
/// that small batches cost no system call each.
///
/// Iteration ends at `end`, at a batch that does not fit before `end` (a torn tail), or at a
/// header that cannot start a batch; ``stop`` says which. ``nextHeader()`` reads headers only;
/// ``nextBatch()`` returns whole batches (for CRC checks, the cleaner and tools).
struct FileBatchReader {
    enum Stop: Equatable {
        /// Reached `end` exactly on a batch boundary.
        case end
        /// A batch starts but does not end before `end` (a torn write).
        case truncated(position: Int)
        /// The bytes at `position` are not a batch.
        case invalid(position: Int, reason: String)
    }

    let file: StorageFile
    private(set) var position: Int
    let end: Int
    private let windowSize: Int
    private var window: ByteBuffer
    private var windowStart: Int
    private(set) var stop: Stop?

    init(file: StorageFile, from position: Int, end: Int, windowSize: Int = 64 * 1024) {
        self.file = file
        self.position = position
        self.end = end
        self.windowSize = windowSize
        self.window = ByteBuffer()
        self.windowStart = position
    }

    /// Makes `[pos, pos + count)` available in the window; false when the file is shorter.
    private mutating func ensure(_ pos: Int, _ count: Int) throws -> Bool {
        if pos >= windowStart && pos + count <= windowStart + window.readableBytes { return true }
        let want = min(max(windowSize, count), end - pos)
        guard want >= count else { return false }
        window = try file.readBuffer(count: want, at: pos)
        windowStart = pos
        return window.readableBytes >= count
    }

    /// The header of the next batch and its position, advancing past the batch.
    mutating func nextHeader() throws -> (position: Int, header: BatchHeader)? {
        guard stop == nil else { return nil }
        if position >= end {
            stop = .end
            return nil
        }
        guard try ensure(position, BatchHeader.size) else {
            stop = .truncated(position: position)
            return nil
        }
        let header = window.withUnsafeReadableBytes { raw in
            BatchHeader(UnsafeRawBufferPointer(rebasing: raw[(position - windowStart)...]))
        }
        guard header.isPlausible else {
            stop = .invalid(position: position, reason: "not a record batch header (magic \(header.magic), length \(header.batchLength))")
            return nil
        }
        guard position + header.totalSize <= end else {
            stop = .truncated(position: position)
            return nil
        }
        let at = position
        position += header.totalSize
        return (at, header)
    }

    /// The next whole batch and its position, advancing past it.
    mutating func nextBatch() throws -> (position: Int, batch: RecordBatch)? {
        let start = position
        guard let (at, header) = try nextHeader() else { return nil }
        guard try ensure(at, header.totalSize) else {
            position = start
            stop = .truncated(position: at)
            return nil
        }
        let slice = window.getSlice(at: window.readerIndex + at - windowStart, length: header.totalSize)!
        do {
            return (at, try RecordBatch(bytes: slice))
        } catch {
            position = start
            stop = .invalid(position: at, reason: "\(error)")
            return nil
        }
    }
}
