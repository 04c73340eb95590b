import Foundation

/// The group coordinator's settings, under Kafka's broker config names and with Kafka's defaults
/// (read from broker.properties through `BrokerConfigKey.table`).
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

    // KIP-848 consumer groups.

    /// `group.coordinator.rebalance.protocols`: `consumer` enables ConsumerGroupHeartbeat and
    /// ConsumerGroupDescribe (advertised only then); `classic` is always on.
    public var rebalanceProtocols: [String] = ["classic", "consumer"]
    /// `group.consumer.session.timeout.ms`: a consumer group member that does not heartbeat for
    /// this long is removed.
    public var consumerSessionTimeoutMs: Int32 = 45_000
    /// `group.consumer.heartbeat.interval.ms`: how often members heartbeat (told in every answer).
    public var consumerHeartbeatIntervalMs: Int32 = 5_000
    /// `group.consumer.assignors`: the server-side assignors members may ask for; the first is
    /// the default.
    public var consumerAssignorList: [ServerAssignor] = [.uniform, .range]
    /// `group.consumer.max.size`.
    public var consumerMaxGroupSize: Int32 = Int32.max

    /// Whether the KIP-848 protocol is on.
    public var consumerProtocolEnabled: Bool { rebalanceProtocols.contains("consumer") }

    public init() {}

    public var offsetsRetentionMs: Int64 { offsetsRetentionMinutes &* 60_000 }
}
