import KafkaProtocol

/// A storage failure, as the broker reports it.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case offsetOutOfRange(requested: Int64, logStart: Int64, logEnd: Int64)
        case io(operation: String, path: String, errno: Int32)
        case corrupt(path: String, reason: String)
        case invalidConfig(String)
        case closed
        case fencedLeaderEpoch(requested: Int32, latest: Int32)
    }

    let kind: Kind

    public static func offsetOutOfRange(requested: Int64, logStart: Int64, logEnd: Int64) -> StorageError {
        StorageError(kind: .offsetOutOfRange(requested: requested, logStart: logStart, logEnd: logEnd))
    }

    public static func io(_ operation: String, path: String, errno: Int32) -> StorageError {
        StorageError(kind: .io(operation: operation, path: path, errno: errno))
    }

    public static func corrupt(path: String, reason: String) -> StorageError {
        StorageError(kind: .corrupt(path: path, reason: reason))
    }

    public static func invalidConfig(_ reason: String) -> StorageError { StorageError(kind: .invalidConfig(reason)) }

    public static var closed: StorageError { StorageError(kind: .closed) }

    /// An append as leader with an epoch older than one the log already holds (a stale leader).
    public static func fencedLeaderEpoch(requested: Int32, latest: Int32) -> StorageError {
        StorageError(kind: .fencedLeaderEpoch(requested: requested, latest: latest))
    }

    /// The Kafka error code for a response touching the affected partition.
    public var errorCode: ErrorCode {
        switch kind {
        case .offsetOutOfRange: return .offsetOutOfRange
        case .invalidConfig: return .invalidConfig
        case .fencedLeaderEpoch: return .fencedLeaderEpoch
        case .io, .corrupt, .closed: return .kafkaStorageError
        }
    }

    public var isOffsetOutOfRange: Bool {
        if case .offsetOutOfRange = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case let .offsetOutOfRange(r, s, e): return "offset \(r) is outside the log's range \(s)..<\(e)"
        case let .io(op, path, errno): return "\(op) \(path): errno \(errno)"
        case let .corrupt(path, reason): return "corrupt \(path): \(reason)"
        case let .invalidConfig(reason): return "invalid configuration: \(reason)"
        case .closed: return "the log is closed"
        case let .fencedLeaderEpoch(r, l): return "leader epoch \(r) is older than the log's latest epoch \(l)"
        }
    }
}
