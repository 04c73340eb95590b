import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// A partition's log on disk: segments of record batches stored as they travel on the wire, with
/// sparse indexes, producer state, leader epochs and checkpoints.
///
/// Every method may be called from any thread: one lock per log serialises them, and they block
/// on disk I/O, so callers on an event loop hop to a thread pool first. Reads hand out duplicated
/// descriptors, so a read result stays valid after the lock is released, after retention deletes
/// the segment, and after the log is closed.
///
/// Invariants (besides ``PartitionLog``'s):
/// - `logStartOffset <= highWatermark <= logEndOffset` and `recoveryPoint <= logEndOffset`;
/// - every segment entirely below the recovery point is fsynced and has complete index files;
/// - the producer table and epoch cache describe exactly the batches in the log.
///
/// Compaction (``LogCleaner``) leaves gaps between batches: offsets still increase, but a batch's
/// successor may start after its `nextOffset`.
public final class DiskPartitionLog: PartitionLog, @unchecked Sendable {
    // @unchecked Sendable: all mutable state lives in `state` and is only touched inside
    // `lock.withLock`; the stored `let`s are immutable and Sendable.

    /// Something the log manager must persist right away (checkpoints), reported after the
    /// log's lock is released.
    enum Event: Sendable {
        case recoveryPointLowered
        case logStartOffsetMoved
    }

    public let topicPartition: TopicPartition
    public let directory: String
    let logger: Logger
    let faults: StorageFaults?
    let events: (@Sendable (TopicPartition, Event) -> Void)?
    /// Runs the fsync of rolled segments off the appending thread (set by the log manager).
    let rollFlushScheduler: (@Sendable (DiskPartitionLog, Int64) -> Void)?
    let lock = NIOLock()
    let state: LogState

    init(topicPartition: TopicPartition, directory: String, state: LogState, logger: Logger,
         faults: StorageFaults?, events: (@Sendable (TopicPartition, Event) -> Void)?,
         rollFlushScheduler: (@Sendable (DiskPartitionLog, Int64) -> Void)? = nil) {
        self.rollFlushScheduler = rollFlushScheduler
        self.topicPartition = topicPartition
        self.directory = directory
        self.state = state
        self.logger = logger
        self.faults = faults
        self.events = events
    }

    /// Opens (recovering if needed) or creates the log in `directory`.
    ///
    /// `cleanShutdown` says the directory was closed by ``close()`` (or the manager's shutdown),
    /// so the files are trusted without scanning. The offsets come from the manager's
    /// checkpoints; nil means unknown.
    public static func open(
        directory: String, topicPartition: TopicPartition, config: LogConfig, logger: Logger,
        cleanShutdown: Bool = false, recoveryPoint: Int64? = nil, logStartOffset: Int64? = nil,
        highWatermark: Int64? = nil, now: Int64? = nil, faults: StorageFaults? = nil
    ) throws -> DiskPartitionLog {
        try open(directory: directory, topicPartition: topicPartition, config: config, logger: logger,
                 cleanShutdown: cleanShutdown, recoveryPoint: recoveryPoint, logStartOffset: logStartOffset,
                 highWatermark: highWatermark, now: now, faults: faults, events: nil, rollFlushScheduler: nil)
    }

    static func open(
        directory: String, topicPartition: TopicPartition, config: LogConfig, logger: Logger,
        cleanShutdown: Bool, recoveryPoint: Int64?, logStartOffset: Int64?, highWatermark: Int64?,
        now: Int64?, faults: StorageFaults?, events: (@Sendable (TopicPartition, Event) -> Void)?,
        rollFlushScheduler: (@Sendable (DiskPartitionLog, Int64) -> Void)?
    ) throws -> DiskPartitionLog {
        var logger = logger
        logger[metadataKey: "partition"] = "\(topicPartition)"
        try FileSystem.makeDirectory(directory)
        let loader = LogLoader(directory: directory, config: config, logger: logger, faults: faults,
                               now: now ?? Posix.nowMs())
        let state = try loader.load(cleanShutdown: cleanShutdown, recoveryPoint: recoveryPoint,
                                    logStartOffset: logStartOffset, highWatermark: highWatermark)
        return DiskPartitionLog(topicPartition: topicPartition, directory: directory, state: state,
                                logger: logger, faults: faults, events: events, rollFlushScheduler: rollFlushScheduler)
    }

    /// Runs `body` under the log's lock, failing when the log is closed.
    @inline(__always)
    func locked<T>(_ body: (LogState) throws -> T) throws -> T {
        try lock.withLock {
            if state.closed { throw StorageError.closed }
            return try body(state)
        }
    }

    func report(_ event: Event) {
        events?(topicPartition, event)
    }

    // MARK: PartitionLog: properties

    public var config: LogConfig { lock.withLock { state.config } }
    public var logStartOffset: Int64 { lock.withLock { state.logStartOffset } }
    public var logEndOffset: Int64 { lock.withLock { state.logEndOffset } }
    public var highWatermark: Int64 { lock.withLock { state.highWatermark } }
    public var sizeInBytes: Int64 { lock.withLock { Int64(state.segments.totalSize) } }
    public var latestLeaderEpoch: Int32? { lock.withLock { state.epochs.latestEpoch } }

    /// The offset below which the log is known to be on stable storage.
    public var recoveryPoint: Int64 { lock.withLock { state.recoveryPoint } }
    /// How many segments the log has.
    public var segmentCount: Int { lock.withLock { state.segments.count } }
    /// The segments' base offsets, oldest first.
    public var segmentBaseOffsets: [Int64] { lock.withLock { state.segments.segments.map(\.baseOffset) } }

    public func updateHighWatermark(_ offset: Int64) {
        lock.withLock {
            state.highWatermark = min(max(offset, state.logStartOffset), state.logEndOffset)
        }
    }

    public func updateConfig(_ config: LogConfig) {
        lock.withLock { state.config = config }
    }

    public func endOffset(forLeaderEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64)? {
        lock.withLock { state.epochs.endOffset(for: epoch, logEndOffset: state.logEndOffset) }
    }

    /// The leader epoch cache's entries (epoch, start offset), oldest first.
    public var leaderEpochs: [(epoch: Int32, startOffset: Int64)] {
        lock.withLock { state.epochs.entries.map { ($0.epoch, $0.startOffset) } }
    }
}

/// The settings the append path reads, copied out of ``LogConfig`` (a plain value, cheap to
/// read on every append).
struct AppendLimits {
    var maxBatchBytes: Int
    var segmentBytes: Int
    var segmentIndexBytes: Int
    var indexIntervalBytes: Int
    var segmentMs: Int64
    var flushMessages: Int64
    var logAppendTime: Bool
    var compacted: Bool

    init(_ config: LogConfig) {
        maxBatchBytes = Int(min(config.maxMessageBytes, config.segmentBytes))
        segmentBytes = Int(config.segmentBytes)
        segmentIndexBytes = Int(config.segmentIndexBytes)
        indexIntervalBytes = Int(config.indexIntervalBytes)
        segmentMs = config.segmentMs
        flushMessages = config.flushMessages
        logAppendTime = config.usesLogAppendTime
        compacted = config.cleanupPolicy.contains(.compact)
    }
}

/// The mutable state of a ``DiskPartitionLog``, guarded by its lock. Its properties skip
/// Swift's dynamic exclusivity checks (`@exclusivity(unchecked)`): the lock already rules out
/// concurrent access, and no method keeps one in an inout access across a call.
final class LogState {
    @exclusivity(unchecked) var config: LogConfig {
        didSet {
            limits = AppendLimits(config)
            if config.segmentJitterMs != oldValue.segmentJitterMs { rollJitterMs = Self.jitter(config) }
        }
    }
    @exclusivity(unchecked) private(set) var limits: AppendLimits
    @exclusivity(unchecked) var segments: SegmentList
    @exclusivity(unchecked) var logStartOffset: Int64
    @exclusivity(unchecked) var highWatermark: Int64
    @exclusivity(unchecked) var recoveryPoint: Int64
    @exclusivity(unchecked) var producers: ProducerStateTable
    @exclusivity(unchecked) var epochs: LeaderEpochCache
    @exclusivity(unchecked) var unflushedMessages: Int64 = 0
    @exclusivity(unchecked) var lastFlushMs: Int64
    @exclusivity(unchecked) var rollJitterMs: Int64
    /// Whether the log may hold gaps between batches (see ``OffsetGapsMarker``).
    @exclusivity(unchecked) var hasOffsetGaps: Bool
    @exclusivity(unchecked) var closed = false

    init(config: LogConfig, segments: SegmentList, logStartOffset: Int64, highWatermark: Int64,
         recoveryPoint: Int64, producers: ProducerStateTable, epochs: LeaderEpochCache, hasOffsetGaps: Bool, now: Int64) {
        self.hasOffsetGaps = hasOffsetGaps
        self.config = config
        self.limits = AppendLimits(config)
        self.segments = segments
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
        self.recoveryPoint = recoveryPoint
        self.producers = producers
        self.epochs = epochs
        self.lastFlushMs = now
        self.rollJitterMs = Self.jitter(config)
    }

    /// A random part of `segment.jitter.ms`, so that logs created together do not all roll at once.
    static func jitter(_ config: LogConfig) -> Int64 {
        config.segmentJitterMs > 0 ? Int64.random(in: 0..<config.segmentJitterMs) : 0
    }

    var logEndOffset: Int64 { segments.active.nextOffset }
}
