import NIOCore

/// The bytes of a record set inside a request or response (`records` in the message specs).
///
/// Requests decode to ``bytes(_:)`` slices of the frame. A broker answering a fetch from its log
/// can instead hand over a ``file(_:)`` region of a segment file, which the transport sends with
/// sendfile, never copying the records through user space.
public enum RecordsPayload: Sendable, Equatable {
    case bytes(ByteBuffer)
    case file(FileRegion)

    /// Several pieces sent back to back (e.g. the tail of one segment and the head of the next).
    case concatenation([RecordsPayload])

    public var byteCount: Int {
        switch self {
        case let .bytes(b): return b.readableBytes
        case let .file(r): return r.readableBytes
        case let .concatenation(parts): return parts.reduce(0) { $0 + $1.byteCount }
        }
    }

    /// The payload as bytes, when it is held in memory.
    public var bytes: ByteBuffer? {
        if case let .bytes(b) = self { return b }
        return nil
    }

    public static func == (lhs: RecordsPayload, rhs: RecordsPayload) -> Bool {
        switch (lhs, rhs) {
        case let (.bytes(a), .bytes(b)):
            return a == b
        case let (.file(a), .file(b)):
            return a.fileHandle === b.fileHandle && a.readerIndex == b.readerIndex && a.endIndex == b.endIndex
        case let (.concatenation(a), .concatenation(b)):
            return a == b
        default:
            return false
        }
    }
}
