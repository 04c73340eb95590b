extension LogManager {
    /// Starts the background work on dedicated threads: retention every
    /// `log.retention.check.interval.ms`, `flush.ms` checks, checkpoints every
    /// `replica.high.watermark.checkpoint.interval.ms`, and producer id expiration. Calling it again replaces the running tasks.
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

