import NIOConcurrencyHelpers
import SluiceBase

extension LogManager {
    /// Starts the background work on dedicated threads: retention every
    /// `log.retention.check.interval.ms`, `flush.ms` checks, checkpoints every
    /// `replica.high.watermark.checkpoint.interval.ms`, producer id expiration, and the cleaner
    /// for compacted topics. Calling it again replaces the running tasks.
    public func startBackgroundTasks(_ settings: BackgroundSettings = BackgroundSettings()) {
        stopBackgroundTasks()
        let tasks = BackgroundTasks()
        tasks.every("sluice-retention", intervalMs: { settings.retentionCheckIntervalMs }) { [weak self] in
            guard let self else { return }
            self.runRetention(now: self.clock())
        }
        tasks.every("sluice-flusher", intervalMs: { settings.flushCheckIntervalMs }) { [weak self] in
            guard let self else { return }
            self.runFlushCheck(now: self.clock())
        }
        tasks.every("sluice-checkpoints", intervalMs: { settings.highWatermarkCheckpointIntervalMs }) { [weak self] in
            guard let self else { return }
            do { try self.writeCheckpoints() } catch { self.logger.error("checkpoint write failed: \(error)") }
        }
        tasks.every("sluice-producer-expiration", intervalMs: { settings.producerIdExpirationCheckIntervalMs }) { [weak self] in
            guard let self else { return }
            self.expireProducers(now: self.clock(), expirationMs: settings.producerIdExpirationMs)
        }
        if settings.cleanerEnabled {
            let cleaner = LogCleaner(settings: settings, logger: logger)
            let idle = NIOLockedValueBox(false)
            // Back to back while logs need cleaning, `log.cleaner.backoff.ms` apart when idle.
            tasks.every("sluice-cleaner", intervalMs: { idle.withLockedValue { $0 } ? settings.cleanerBackoffMs : 1 }) { [weak self] in
                guard let self else { return }
                let cleaned = self.runCleaner(cleaner, now: self.clock())
                idle.withLockedValue { $0 = !cleaned }
            }
        }
        background.withLockedValue { $0 = tasks }
    }

    func stopBackgroundTasks() {
        let tasks = background.withLockedValue { current -> BackgroundTasks? in
            defer { current = nil }
            return current
        }
        tasks?.stop()
    }

    /// Applies retention to every log now; returns the number of segments deleted.
    @discardableResult
    public func runRetention(now: Int64) -> Int {
        var deleted = 0
        for (tp, log) in diskLogs.sorted(by: { $0.key < $1.key }) {
            do {
                deleted += try log.deleteOldSegments(now: now)
            } catch {
                logger.error("retention failed for \(tp): \(error)")
            }
        }
        return deleted
    }

    /// Flushes the logs whose `flush.ms` has passed.
    public func runFlushCheck(now: Int64) {
        for (tp, log) in diskLogs {
            do { try log.flushIfDue(now: now) } catch { logger.error("flush failed for \(tp): \(error)") }
        }
    }

    public func expireProducers(now: Int64, expirationMs: Int64) {
        for log in diskLogs.values { log.expireProducers(now: now, expirationMs: expirationMs) }
    }
}


extension LogManager {
    /// Cleans the compacted log that needs it most (highest dirty ratio), if any; returns
    /// whether a log was cleaned. The background cleaner calls this in a loop.
    @discardableResult
    public func runCleaner(now: Int64, settings: BackgroundSettings = BackgroundSettings()) -> Bool {
        runCleaner(LogCleaner(settings: settings, logger: logger), now: now)
    }

    func runCleaner(_ cleaner: LogCleaner, now: Int64) -> Bool {
        let checkpoint = cleanerOffsets.withLockedValue { $0 }
        var best: (TopicPartition, DiskPartitionLog, Double)?
        for (tp, log) in diskLogs where log.config.cleanupPolicy.contains(.compact) {
            guard let plan = try? log.cleaningPlan(firstDirty: checkpoint[tp], now: now) else { continue }
            if best == nil || plan.dirtyRatio > best!.2 { best = (tp, log, plan.dirtyRatio) }
        }
        guard let (tp, log, _) = best else { return false }
        return (try? clean(tp, log, cleaner, now: now, force: false)) ?? false
    }

    /// Compacts one partition now, regardless of its dirty ratio (tests and tools); returns
    /// whether anything was cleaned.
    @discardableResult
    public func compact(_ tp: TopicPartition, now: Int64, settings: BackgroundSettings = BackgroundSettings()) throws -> Bool {
        guard let log = diskLog(for: tp) else { return false }
        return try clean(tp, log, LogCleaner(settings: settings, logger: logger), now: now, force: true)
    }

    private func clean(_ tp: TopicPartition, _ log: DiskPartitionLog, _ cleaner: LogCleaner, now: Int64, force: Bool) throws -> Bool {
        let firstDirty = cleanerOffsets.withLockedValue { $0[tp] }
        do {
            guard let result = try cleaner.clean(log, firstDirty: firstDirty, now: now, force: force) else { return false }
            cleanerOffsets.withLockedValue { $0[tp] = result.firstDirty }
            try writeCheckpoints()
            return true
        } catch {
            logger.error("cleaning \(tp) failed: \(error)")
            throw error
        }
    }
}
