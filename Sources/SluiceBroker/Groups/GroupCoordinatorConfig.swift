import Foundation

/// The group coordinator's settings, under Kafka's broker config names and with Kafka's defaults.
public struct GroupCoordinatorConfig: Sendable, Equatable {
    /// `group.min.session.timeout.ms`: JoinGroup with a shorter session timeout gets
    /// INVALID_SESSION_TIMEOUT.
    public var minSessionTimeoutMs: Int32 = 6_000
    /// `group.max.session.timeout.ms`.
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits for
    /// more members (extended by the same delay while members keep arriving, up to the rebalance
    /// timeout).
    public var initialRebalanceDelayMs: Int32 = 3_000
    /// `group.max.size`.
    public var maxGroupSize: Int32 = Int32.max
    /// How long a new member's JoinGroup may wait before it is dropped (Kafka's fixed 5 minutes).
    public var newMemberJoinTimeoutMs: Int32 = 300_000
    /// `offsets.retention.minutes`: offsets of empty groups (and of standalone consumers) expire
    /// this long after the group emptied (or after the commit).
    public var offsetsRetentionMinutes: Int64 = 10_080
    /// `offsets.retention.check.interval.ms`.
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offset.metadata.max.bytes`: longer commit metadata gets OFFSET_METADATA_TOO_LARGE.
    public var offsetMetadataMaxBytes: Int32 = 4_096
    /// `offsets.topic.num.partitions`.
    public var offsetsTopicPartitions: Int32 = 50
    /// `offsets.topic.replication.factor` (capped at the number of brokers when the topic is
    /// created).
    public var offsetsTopicReplicationFactor: Int16 = 3
    /// `offsets.topic.segment.bytes`.
    public var offsetsTopicSegmentBytes: Int32 = 104_857_600

    public init() {}

    public var offsetsRetentionMs: Int64 { offsetsRetentionMinutes &* 60_000 }

    /// Applies one broker config by its Kafka name; returns false for names that are not the
    /// coordinator's. Throws ``GroupConfigError`` for a value out of range.
    public mutating func set(_ key: String, to value: String) throws -> Bool {
        func int32(min: Int32) throws -> Int32 {
            guard let v = Int32(value.trimmingCharacters(in: .whitespaces)), v >= min else {
                throw GroupConfigError(key: key, value: value, expected: "an integer >= \(min)")
            }
            return v
        }
        func int64(min: Int64) throws -> Int64 {
            guard let v = Int64(value.trimmingCharacters(in: .whitespaces)), v >= min else {
                throw GroupConfigError(key: key, value: value, expected: "an integer >= \(min)")
            }
            return v
        }
        switch key {
        case "group.min.session.timeout.ms": minSessionTimeoutMs = try int32(min: 0)
        case "group.max.session.timeout.ms": maxSessionTimeoutMs = try int32(min: 0)
        case "group.initial.rebalance.delay.ms": initialRebalanceDelayMs = try int32(min: 0)
        case "group.max.size": maxGroupSize = try int32(min: 1)
        case "offsets.retention.minutes": offsetsRetentionMinutes = try int64(min: 1)
        case "offsets.retention.check.interval.ms": offsetsRetentionCheckIntervalMs = try int64(min: 1)
        case "offset.metadata.max.bytes": offsetMetadataMaxBytes = try int32(min: 0)
        case "offsets.topic.num.partitions": offsetsTopicPartitions = try int32(min: 1)
        case "offsets.topic.replication.factor": offsetsTopicReplicationFactor = Int16(try int32(min: 1).clamped(to: 1...Int32(Int16.max)))
        case "offsets.topic.segment.bytes": offsetsTopicSegmentBytes = try int32(min: 1)
        default: return false
        }
        return true
    }

    /// The config names `set(_:to:)` understands.
    public static let names = [
        "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.initial.rebalance.delay.ms",
        "group.max.size", "offsets.retention.minutes", "offsets.retention.check.interval.ms",
        "offset.metadata.max.bytes", "offsets.topic.num.partitions", "offsets.topic.replication.factor",
        "offsets.topic.segment.bytes",
    ]
}

/// A coordinator config with a value out of range.
public struct GroupConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var value: String
    public var expected: String

    public var description: String { "\(key) must be \(expected), got '\(value)'" }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
