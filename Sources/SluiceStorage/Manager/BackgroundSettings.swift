/// Intervals and limits of a log manager's background work, under Kafka's broker config names
/// and with Kafka's defaults.
public struct BackgroundSettings: Sendable, Equatable {
    /// `log.retention.check.interval.ms`: how often retention runs.
    public var retentionCheckIntervalMs: Int64 = 300_000
    /// `log.flush.scheduler.interval.ms`: how often logs with a `flush.ms` are checked. Kafka's
    /// default never checks; Sluice checks every second, which matters only for topics that set
    /// `flush.ms`.
    public var flushCheckIntervalMs: Int64 = 1_000
    /// `log.flush.offset.checkpoint.interval.ms`.
    public var recoveryPointCheckpointIntervalMs: Int64 = 60_000
    /// `replica.high.watermark.checkpoint.interval.ms` (the high watermark and log start
    /// checkpoints are written together with it).
    public var highWatermarkCheckpointIntervalMs: Int64 = 5_000
    /// `producer.id.expiration.ms`.
    public var producerIdExpirationMs: Int64 = 86_400_000
    /// `producer.id.expiration.check.interval.ms`.
    public var producerIdExpirationCheckIntervalMs: Int64 = 600_000
    /// `log.cleaner.enable`.
    public var cleanerEnabled = true
    /// `log.cleaner.backoff.ms`: the cleaner's sleep when no log needs cleaning.
    public var cleanerBackoffMs: Int64 = 15_000
    /// `log.cleaner.dedupe.buffer.size`: memory for the key-to-offset map of one cleaning.
    public var cleanerDedupeBufferSize: Int = 128 * 1024 * 1024
    /// `log.cleaner.io.max.bytes.per.second`: the cleaner's read plus write rate limit.
    public var cleanerIoMaxBytesPerSecond: Double = .infinity
    /// `log.cleaner.io.buffer.size`: the cleaner's read window.
    public var cleanerIoBufferSize: Int = 512 * 1024

    public init() {}
}
