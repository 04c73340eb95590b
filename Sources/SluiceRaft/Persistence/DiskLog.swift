#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Raft log on disk: segment files `<base offset, 20 digits>.log` of `RecordCodec` records,
/// appended and fsynced, rolled at `segmentBytes`.
///
/// Crash safety, step by step:
/// - an append is one write then fsync; a crash mid-write leaves a torn tail that `load()` cuts
///   off at the first record that is short, fails its CRC, or breaks the offset sequence;
/// - a suffix truncation deletes later segments (newest first) then ftruncates, fsyncing each
///   step; a crash in between leaves a shorter but contiguous log;
/// - a prefix removal deletes whole segments, oldest first; records before the logical start
///   that share a segment with later ones stay on disk and are dropped on load by the node
///   (they are covered by the snapshot, which is stored before the prefix is removed).
final class DiskLog {
    private struct Segment {
        let baseOffset: Int64
        let path: String
        /// File position of each record, then the end of the file.
        var positions: [Int64]

        var endOffset: Int64 { baseOffset + Int64(positions.count - 1) }
        var size: Int64 { positions.last ?? 0 }
    }

    let directory: String
    let segmentBytes: Int64
    private var segments: [Segment] = []
    /// The first offset the log logically holds, and where an empty log continues.
    private(set) var startOffset: Int64 = 0
    private(set) var endOffset: Int64 = 0
    private var activeFD: Int32 = -1

    init(directory: String, segmentBytes: Int) {
        self.directory = directory
        self.segmentBytes = Int64(segmentBytes)
    }

    deinit {
        if activeFD >= 0 { PosixFile.closeFile(activeFD) }
    }

    private func segmentPath(_ base: Int64) -> String {
        let digits = String(base)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// Reads every segment, repairs a torn tail, and returns the entries (from the first
    /// segment's base). `emptyStart` is where an empty log starts (the snapshot's end).
    func load(emptyStart: Int64) throws(RaftStoreError) -> (startOffset: Int64, entries: [LogEntry]) {
        closeActive()
        try PosixFile.makeDirectory(directory)
        var bases: [Int64] = []
        for name in try PosixFile.list(directory) {
            if name.hasSuffix(".log"), let base = Int64(name.dropLast(4)), base >= 0 {
                bases.append(base)
            } else if name.hasSuffix(".tmp") {
                try PosixFile.removeFile(directory + "/" + name)
            }
        }
        bases.sort()
        segments = []
        var entries: [LogEntry] = []
        for (index, base) in bases.enumerated() {
            let path = segmentPath(base)
            let isLast = index == bases.count - 1
            if let previous = segments.last, previous.endOffset != base {
                throw RaftStoreError(.corrupt, "segment \(path) starts at \(base) but the previous one ends at \(previous.endOffset)")
            }
            let bytes = try PosixFile.readAll(path) ?? []
            var positions: [Int64] = [0]
            var position = 0
            var expected = base
            while position < bytes.count {
                guard let (entry, next) = RecordCodec.decode(bytes, at: position), entry.offset == expected else { break }
                entries.append(entry)
                position = next
                positions.append(Int64(next))
                expected += 1
            }
            if position < bytes.count {
                guard isLast else {
                    throw RaftStoreError(.corrupt, "segment \(path) is damaged at byte \(position) and is not the last one")
                }
                // A torn tail from a crash mid-append: cut it off, durably.
                let fd = try PosixFile.openFile(path, flags: O_WRONLY)
                defer { PosixFile.closeFile(fd) }
                try PosixFile.truncateFile(fd, to: Int64(position), path: path)
                try PosixFile.sync(fd, path: path)
            }
            segments.append(Segment(baseOffset: base, path: path, positions: positions))
        }
        startOffset = segments.first?.baseOffset ?? emptyStart
        endOffset = segments.last?.endOffset ?? emptyStart
        return (startOffset, entries)
    }

    func append(_ entries: [LogEntry]) throws(RaftStoreError) {
        guard let first = entries.first else { return }
        guard first.offset == endOffset else {
            throw RaftStoreError(.invalidOperation, "append at \(first.offset) to a log ending at \(endOffset)")
        }
        if segments.isEmpty || segments[segments.count - 1].size >= segmentBytes {
            try roll()
        }
        var bytes: [UInt8] = []
        var positions: [Int64] = []
        let base = segments[segments.count - 1].size
        for entry in entries {
            RecordCodec.encode(entry, into: &bytes)
            positions.append(base + Int64(bytes.count))
        }
        let fd = try activeDescriptor()
        let path = segments[segments.count - 1].path
        try PosixFile.writeAll(fd, bytes, path: path)
        try PosixFile.sync(fd, path: path)
        segments[segments.count - 1].positions.append(contentsOf: positions)
        endOffset += Int64(entries.count)
    }

    /// Removes every entry at or after `offset`.
    func truncate(from offset: Int64) throws(RaftStoreError) {
        let from = max(offset, startOffset)
        guard from < endOffset else { return }
        closeActive()
        while let last = segments.last, last.baseOffset >= from {
            try PosixFile.removeFile(last.path)
            try PosixFile.syncDirectory(directory)
            segments.removeLast()
        }
        if var last = segments.last, last.endOffset > from {
            let keep = Int(from - last.baseOffset)
            let size = last.positions[keep]
            let fd = try PosixFile.openFile(last.path, flags: O_WRONLY)
            defer { PosixFile.closeFile(fd) }
            try PosixFile.truncateFile(fd, to: size, path: last.path)
            try PosixFile.sync(fd, path: last.path)
            last.positions.removeSubrange((keep + 1)...)
            segments[segments.count - 1] = last
        }
        endOffset = from
        if segments.isEmpty { startOffset = min(startOffset, from) }
    }

    /// Removes every entry before `offset`; an empty log continues at `offset`.
    func setStart(_ offset: Int64) throws(RaftStoreError) {
        guard offset > startOffset else { return }
        while let first = segments.first, first.endOffset <= offset, segments.count > 1 || offset >= endOffset {
            if segments.count == 1 { closeActive() }
            try PosixFile.removeFile(first.path)
            try PosixFile.syncDirectory(directory)
            segments.removeFirst()
        }
        startOffset = offset
        if segments.isEmpty { endOffset = max(endOffset, offset) }
        if offset > endOffset { endOffset = offset }
    }

    private func roll() throws(RaftStoreError) {
        closeActive()
        let path = segmentPath(endOffset)
        let fd = try PosixFile.openFile(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        PosixFile.closeFile(fd)
        try PosixFile.syncDirectory(directory)
        segments.append(Segment(baseOffset: endOffset, path: path, positions: [0]))
    }

    private func activeDescriptor() throws(RaftStoreError) -> Int32 {
        if activeFD < 0 {
            activeFD = try PosixFile.openFile(segments[segments.count - 1].path, flags: O_WRONLY | O_APPEND)
        }
        return activeFD
    }

    private func closeActive() {
        if activeFD >= 0 {
            PosixFile.closeFile(activeFD)
            activeFD = -1
        }
    }
}
