import Dispatch
import Logging
import NIOConcurrencyHelpers
import SluiceBase

/// All partition logs of a broker's data directory: loads and recovers them at start, creates
/// and deletes them, keeps the directory's checkpoints, runs retention, flushing and compaction
/// in the background, and shuts down cleanly.
///
/// Layout: `<directory>/<topic>-<partition>/` per partition (see ``DiskPartitionLog``), plus the
/// checkpoint files of ``OffsetCheckpointFile`` and the clean-shutdown marker
/// `.sluice_cleanshutdown`, written last by ``shutdown()`` and removed once the next start has
/// loaded every log. Its presence lets the next start skip recovery.
///
/// ```swift
/// let logs = try LogManager(directory: "/var/lib/sluice", defaults: LogConfig(), logger: logger)
/// logs.startBackgroundTasks()
/// let log = try logs.getOrCreateLog(for: TopicPartition("orders", 0), config: LogConfig())
/// ```
public final class LogManager: Sendable {
    public static let cleanShutdownMarker = ".sluice_cleanshutdown"

    public let directory: String
    let defaults: LogConfig
    let logger: Logger
    let faults: StorageFaults?
    let clock: @Sendable () -> Int64
    let logs = NIOLockedValueBox<[TopicPartition: DiskPartitionLog]>([:])
    /// Serialises checkpoint writes (they read every log and replace files).
    let checkpointLock = NIOLock()
    /// Where each compacted log's uncleaned part begins (`cleaner-offset-checkpoint`).
    let cleanerOffsets = NIOLockedValueBox<[TopicPartition: Int64]>([:])
    let background = NIOLockedValueBox<BackgroundTasks?>(nil)
    let isShutDown = NIOLockedValueBox(false)
    let rollFlushQueue = DispatchQueue(label: "sluice-roll-flush")

    /// Loads and recovers every partition directory found in `directory` (created if missing).
    public convenience init(directory: String, defaults: LogConfig, logger: Logger) throws {
        try self.init(directory: directory, defaults: defaults, logger: logger, faults: nil, clock: { Posix.nowMs() })
    }

    /// As above, with injected I/O faults and clock (tests).
    init(directory: String, defaults: LogConfig, logger: Logger, faults: StorageFaults?,
         clock: @escaping @Sendable () -> Int64) throws {
        self.directory = directory
        self.defaults = defaults
        self.logger = logger
        self.faults = faults
        self.clock = clock
        try FileSystem.makeDirectory(directory)
        try loadAll()
    }

    private func checkpoint(_ name: String) -> OffsetCheckpointFile {
        OffsetCheckpointFile(directory: directory, name: name)
    }

    private var markerPath: String { "\(directory)/\(Self.cleanShutdownMarker)" }

    private func loadAll() throws {
        let clean = Posix.fileExists(markerPath)
        let recoveryPoints = checkpoint(OffsetCheckpointFile.recoveryPoint).read()
        let logStarts = checkpoint(OffsetCheckpointFile.logStartOffset).read()
        let highWatermarks = checkpoint(OffsetCheckpointFile.highWatermark).read()
        cleanerOffsets.withLockedValue { $0 = checkpoint(OffsetCheckpointFile.cleanerOffset).read() ?? [:] }
        if recoveryPoints == nil { logger.warning("the recovery point checkpoint is unreadable: recovering every segment") }
        let start = Posix.monotonicNs()
        var loaded: [TopicPartition: DiskPartitionLog] = [:]
        for name in try FileSystem.listDirectory(directory) {
            let path = "\(directory)/\(name)"
            guard Posix.isDirectory(path) else { continue }
            if name.hasSuffix("-delete") {
                try FileSystem.removeTree(path)
                continue
            }
            guard let tp = Self.topicPartition(fromDirectoryName: name) else { continue }
            let log = try DiskPartitionLog.open(
                directory: path, topicPartition: tp, config: defaults, logger: logger,
                cleanShutdown: clean && recoveryPoints != nil, recoveryPoint: recoveryPoints?[tp],
                logStartOffset: logStarts?[tp], highWatermark: highWatermarks?[tp], now: clock(),
                faults: faults, events: eventHandler(), rollFlushScheduler: rollFlushScheduler())
            loaded[tp] = log
        }
        logs.withLockedValue { $0 = loaded }
        let ms = (Posix.monotonicNs() - start) / 1_000_000
        logger.info("loaded \(loaded.count) logs from \(directory) in \(ms) ms (\(clean ? "clean" : "unclean") shutdown before)")
        // Recovery moved recovery points and log starts: record them before allowing a crash to
        // find the marker gone.
        try writeCheckpoints()
        if clean {
            try FileSystem.unlinkIfPresent(markerPath)
            try FileSystem.fsyncDirectory(directory)
        }
    }

    private func eventHandler() -> @Sendable (TopicPartition, DiskPartitionLog.Event) -> Void {
        { [weak self] _, event in
            guard let self else { return }
            do {
                switch event {
                case .recoveryPointLowered: try self.writeCheckpoints()
                case .logStartOffsetMoved: try self.writeCheckpoints()
                }
            } catch {
                self.logger.error("could not write checkpoints: \(error)")
            }
        }
    }

    /// Flushes rolled segments on a serial background queue (Kafka's asynchronous flush on roll).
    private func rollFlushScheduler() -> @Sendable (DiskPartitionLog, Int64) -> Void {
        { [weak self] log, offset in
            guard let self else { return }
            self.rollFlushQueue.async {
                do {
                    try log.flush(upTo: offset)
                } catch let error as StorageError where error == .closed {
                    // Deleted or shut down meanwhile: nothing left to flush.
                } catch {
                    self.logger.error("flushing \(log.topicPartition) after a roll failed: \(error)")
                }
            }
        }
    }

    /// `topic-partition` directory names; nil for anything else (including `-delete` dirs).
    static func topicPartition(fromDirectoryName name: String) -> TopicPartition? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let topic = String(name[..<dash])
        guard !topic.isEmpty, let partition = Int32(name[name.index(after: dash)...]), partition >= 0 else { return nil }
        // The broker's Raft metadata log (`__cluster_metadata-0`) lives beside the partitions
        // but is not a partition log.
        guard topic != "__cluster_metadata" else { return nil }
        return TopicPartition(topic, partition)
    }

    func partitionDirectory(_ tp: TopicPartition) -> String { "\(directory)/\(tp.topic)-\(tp.partition)" }

    // MARK: Logs

    public func log(for tp: TopicPartition) -> (any PartitionLog)? {
        logs.withLockedValue { $0[tp] }
    }

    /// The disk log of a partition, with the operations beyond ``PartitionLog``.
    public func diskLog(for tp: TopicPartition) -> DiskPartitionLog? {
        logs.withLockedValue { $0[tp] }
    }

    /// The partition's log, created empty (at offset 0) if it does not exist. An existing log
    /// keeps its configuration; use `updateConfig` to change it.
    public func getOrCreateLog(for tp: TopicPartition, config: LogConfig) throws -> any PartitionLog {
        try logs.withLockedValue { logs in
            if let existing = logs[tp] { return existing }
            if isShutDown.withLockedValue({ $0 }) { throw StorageError.closed }
            guard !tp.topic.isEmpty, !tp.topic.contains("/"), tp.topic != ".", tp.topic != "..", tp.partition >= 0 else {
                throw StorageError.invalidConfig("invalid topic partition name '\(tp)'")
            }
            let log = try DiskPartitionLog.open(
                directory: partitionDirectory(tp), topicPartition: tp, config: config, logger: logger,
                cleanShutdown: false, recoveryPoint: nil, logStartOffset: nil, highWatermark: nil,
                now: clock(), faults: faults, events: eventHandler(), rollFlushScheduler: rollFlushScheduler())
            try FileSystem.fsyncDirectory(directory)
            logs[tp] = log
            return log
        }
    }

    /// Deletes the partition's log and its files. Reads in flight keep their data.
    public func deleteLog(for tp: TopicPartition) throws {
        guard let log = logs.withLockedValue({ $0.removeValue(forKey: tp) }) else { return }
        log.closeWithoutFlush()
        cleanerOffsets.withLockedValue { _ = $0.removeValue(forKey: tp) }
        let doomed = "\(partitionDirectory(tp)).\(UInt64.random(in: 0...UInt64.max))-delete"
        try FileSystem.rename(log.directory, doomed)
        try FileSystem.fsyncDirectory(directory)
        try FileSystem.removeTree(doomed)
        try writeCheckpoints()
    }

    public var allLogs: [TopicPartition: any PartitionLog] {
        logs.withLockedValue { $0.mapValues { $0 as any PartitionLog } }
    }

    var diskLogs: [TopicPartition: DiskPartitionLog] { logs.withLockedValue { $0 } }

    // MARK: Checkpoints

    /// Writes the recovery point, log start offset and high watermark checkpoints of every log.
    public func writeCheckpoints() throws {
        try checkpointLock.withLock {
            var recovery: [TopicPartition: Int64] = [:]
            var starts: [TopicPartition: Int64] = [:]
            var highWatermarks: [TopicPartition: Int64] = [:]
            for (tp, log) in diskLogs {
                let offsets = log.checkpointOffsets
                recovery[tp] = offsets.recoveryPoint
                starts[tp] = offsets.logStart
                highWatermarks[tp] = offsets.highWatermark
            }
            try checkpoint(OffsetCheckpointFile.recoveryPoint).write(recovery, faults: faults)
            try checkpoint(OffsetCheckpointFile.logStartOffset).write(starts, faults: faults)
            try checkpoint(OffsetCheckpointFile.highWatermark).write(highWatermarks, faults: faults)
            let cleaner = cleanerOffsets.withLockedValue { $0 }
            try checkpoint(OffsetCheckpointFile.cleanerOffset).write(cleaner, faults: faults)
        }
    }

    // MARK: Shutdown

    /// Stops the background tasks, closes every log cleanly (flush, indexes, snapshots), writes
    /// the checkpoints and then the clean-shutdown marker. A log that fails to close (disk
    /// error) leaves the marker out, so the next start recovers.
    public func shutdown() {
        if isShutDown.withLockedValue({ let was = $0; $0 = true; return was }) { return }
        stopBackgroundTasks()
        rollFlushQueue.sync {}  // let pending roll flushes finish
        var allClean = true
        for (tp, log) in diskLogs.sorted(by: { $0.key < $1.key }) {
            do {
                try log.close()
            } catch {
                allClean = false
                logger.error("could not close \(tp) cleanly: \(error)")
                log.closeWithoutFlush()
            }
        }
        do {
            try writeCheckpoints()
            if allClean {
                try AtomicFile.write([], to: markerPath, faults: faults)
            }
        } catch {
            logger.error("could not finish the clean shutdown of \(directory): \(error)")
        }
    }
}

extension DiskPartitionLog {
    /// The offsets the manager checkpoints, read together.
    var checkpointOffsets: (recoveryPoint: Int64, logStart: Int64, highWatermark: Int64) {
        lock.withLock { (state.recoveryPoint, state.logStartOffset, state.highWatermark) }
    }
}
