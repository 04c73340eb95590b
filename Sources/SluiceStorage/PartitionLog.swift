import KafkaProtocol
import NIOCore
import SluiceBase

/// The log of one partition: an append-only sequence of record batches, each at its offsets.
///
/// Implementations are thread-safe (every method may be called from any thread) and their
/// methods may block on disk I/O: callers on an event loop hop to a thread pool first.
///
/// Invariants every implementation keeps:
/// - `logStartOffset <= highWatermark <= logEndOffset`;
/// - offsets increase from the log start: batch N+1 starts at batch N's `nextOffset`, except in
///   compacted logs (and followers of compacted leaders), where whole batches may be missing:
///   a read from a missing offset returns the next batch after it;
/// - batches are stored byte for byte as received, except `baseOffset` and
///   `partitionLeaderEpoch` (outside the CRC), which the leader assigns;
/// - a read never returns a byte of a batch that failed validation or recovery.
public protocol PartitionLog: AnyObject, Sendable {
    var topicPartition: TopicPartition { get }
    var config: LogConfig { get }

    /// The first offset still held (moved by retention and `DeleteRecords`).
    var logStartOffset: Int64 { get }
    /// The offset the next appended record gets.
    var logEndOffset: Int64 { get }
    /// The offset below which records are committed (visible to consumers).
    var highWatermark: Int64 { get }
    /// Total bytes of the partition's segments.
    var sizeInBytes: Int64 { get }

    /// Appends batches as the partition's leader, as a producer sent them: validates them
    /// (``LeaderBatchValidation``), assigns offsets from `logEndOffset` (rewriting each batch's
    /// `baseOffset`), stamps `leaderEpoch`, checks idempotent producers' sequence numbers, and
    /// applies `message.timestamp.type`.
    /// Throws ``LogAppendError`` for invalid batches and producer-state errors, ``StorageError``
    /// for I/O (KAFKA_STORAGE_ERROR) and for a `leaderEpoch` older than the log's latest
    /// (FENCED_LEADER_EPOCH).
    func appendAsLeader(_ batches: [RecordBatch], leaderEpoch: Int32, now: Int64) throws -> LogAppendInfo

    /// Appends batches fetched from the leader, whose offsets are already assigned. Batches are
    /// CRC-checked; their offsets must not go below `logEndOffset` and their leader epochs must
    /// not go backwards (``LogAppendError/invalidBatch(_:)`` otherwise).
    func appendAsFollower(_ batches: [RecordBatch]) throws -> LogAppendInfo

    /// Reads batches starting with the one containing `offset`: at most `maxBytes`, except that
    /// the first batch is returned whole when `minOneBatch` (KIP-74); never past `maxOffset`
    /// (the high watermark for consumers, the log end for followers).
    /// Throws ``StorageError/offsetOutOfRange`` below the log start or above the log end.
    func read(from offset: Int64, maxBytes: Int, maxOffset: Int64, minOneBatch: Bool) throws -> LogReadResult

    /// The first offset whose timestamp is at or after `timestamp`, for ListOffsets; nil when none.
    /// ListOffsets' special values are answered too: -1 (latest), -2 (earliest), -3 (max timestamp).
    func offset(forTimestamp timestamp: Int64) throws -> TimestampAndOffset?

    /// Kafka's answer to OffsetForLeaderEpoch: the largest epoch <= `epoch` the log knows and the
    /// end offset of that epoch (the start of the next known epoch, or the log end for the
    /// latest). For an epoch below every known one, `epoch` itself and the first known start
    /// offset. Nil (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET) when the log knows no epoch, or
    /// `epoch` is negative or above the latest.
    func endOffset(forLeaderEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64)?

    /// The epoch of the last batch, if any.
    var latestLeaderEpoch: Int32? { get }

    func updateHighWatermark(_ offset: Int64)

    /// Removes every batch at or after `offset` (follower truncation after a leader change).
    func truncate(to offset: Int64) throws

    /// Moves the log start to `offset` (DeleteRecords); whole segments below it are deleted.
    /// Throws ``StorageError/offsetOutOfRange(requested:logStart:logEnd:)`` past the high
    /// watermark, as Kafka does.
    func deleteRecords(before offset: Int64) throws

    func updateConfig(_ config: LogConfig)

    /// Writes buffered data and indexes to disk (fsync).
    func flush() throws
}

/// What an append did.
public struct LogAppendInfo: Sendable, Equatable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The broker's clock when `message.timestamp.type=LogAppendTime`, otherwise -1.
    public var logAppendTime: Int64
    public var logStartOffset: Int64
    public var recordCount: Int
    public var byteCount: Int

    public init(firstOffset: Int64, lastOffset: Int64, logAppendTime: Int64, logStartOffset: Int64,
                recordCount: Int, byteCount: Int) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.logAppendTime = logAppendTime
        self.logStartOffset = logStartOffset
        self.recordCount = recordCount
        self.byteCount = byteCount
    }
}

/// Batches read from a log, with the partition's offsets at the time of the read.
///
/// `records` may hold file regions (zero-copy reads) whose handles belong to this result: call
/// ``release()`` once they have been written (or are not needed), exactly once.
public struct LogReadResult: Sendable {
    public var records: RecordsPayload
    public var highWatermark: Int64
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    private let releaser: Releaser

    /// How a result gives its handles back: a closure, or (the disk log's reads, without an
    /// allocation per read) pooled leases.
    enum Releaser: Sendable {
        case closure(@Sendable () -> Void)
        case lease(ReadHandlePool, ReadLease, generation: UInt64)
        case leases([(pool: ReadHandlePool, lease: ReadLease, generation: UInt64)])
    }

    public init(records: RecordsPayload, highWatermark: Int64, logStartOffset: Int64, logEndOffset: Int64,
                release: @escaping @Sendable () -> Void = {}) {
        self.init(records: records, highWatermark: highWatermark, logStartOffset: logStartOffset,
                  logEndOffset: logEndOffset, releaser: .closure(release))
    }

    init(records: RecordsPayload, highWatermark: Int64, logStartOffset: Int64, logEndOffset: Int64, releaser: Releaser) {
        self.records = records
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
        self.releaser = releaser
    }

    /// Gives back (or closes) the file handles behind `records`; calls after the first do nothing.
    public func release() {
        switch releaser {
        case let .closure(body):
            body()
        case let .lease(pool, lease, generation):
            pool.giveBack(lease, generation: generation)
        case let .leases(all):
            for (pool, lease, generation) in all { pool.giveBack(lease, generation: generation) }
        }
    }
}

public struct TimestampAndOffset: Sendable, Equatable {
    public var timestamp: Int64
    public var offset: Int64
    public var leaderEpoch: Int32

    public init(timestamp: Int64, offset: Int64, leaderEpoch: Int32) {
        self.timestamp = timestamp
        self.offset = offset
        self.leaderEpoch = leaderEpoch
    }
}

/// Append failures that map to Kafka error codes in the produce response.
public enum LogAppendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The batch repeats one already in the log (idempotent retry): answer success with the
    /// original offsets, as Kafka does.
    case duplicate(LogAppendInfo)
    case outOfOrderSequence(expected: Int32, received: Int32)
    case invalidProducerEpoch(current: Int16, received: Int16)
    case unknownProducerId
    case batchTooLarge(size: Int, limit: Int)
    case invalidTimestamp(Int64)
    case invalidBatch(RecordBatchError)

    public var errorCode: ErrorCode {
        switch self {
        case .duplicate: return .noError
        case .outOfOrderSequence: return .outOfOrderSequenceNumber
        case .invalidProducerEpoch: return .invalidProducerEpoch
        case .unknownProducerId: return .unknownProducerId
        case .batchTooLarge: return .messageTooLarge
        case .invalidTimestamp: return .invalidTimestamp
        case let .invalidBatch(e): return e.errorCode
        }
    }

    public var description: String {
        switch self {
        case let .duplicate(info): return "a duplicate of the batch at offsets \(info.firstOffset)...\(info.lastOffset)"
        case let .outOfOrderSequence(expected, received):
            return "out of order sequence number: expected \(expected), received \(received)"
        case let .invalidProducerEpoch(current, received):
            return "producer epoch \(received) is older than the current \(current)"
        case .unknownProducerId: return "unknown producer id"
        case let .batchTooLarge(size, limit):
            return "the record batch is \(size) bytes, larger than the limit of \(limit) bytes"
        case let .invalidTimestamp(timestamp): return "invalid timestamp \(timestamp)"
        case let .invalidBatch(e): return "\(e)"
        }
    }
}
