import KafkaProtocol
import NIOCore
import SluiceBase

/// A record read from a partition.
public struct ConsumerRecord: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public var timestampType: TimestampType
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, timestampType: TimestampType = .createTime,
                key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.key = key
        self.value = value
        self.headers = headers
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// Where to start reading a partition.
public enum StartPosition: Sendable, Hashable {
    case earliest
    case latest
    case offset(Int64)
    /// The first record at or after this time (ms since the epoch).
    case timestamp(Int64)
    /// The group's committed offset, or `auto.offset.reset` when there is none.
    case committed
}

/// What to do when there is no committed offset, or the position is out of range
/// (`auto.offset.reset`).
public enum OffsetResetPolicy: String, Sendable, CaseIterable {
    case earliest, latest
    /// Fail with OFFSET_OUT_OF_RANGE / NO_OFFSET instead of moving.
    case none
}

/// `isolation.level`: what a consumer reads of transactional producers' records.
public enum IsolationLevel: Int8, Sendable, CaseIterable {
    /// Everything up to the high watermark, records of open and aborted transactions included.
    case readUncommitted = 0
    /// Up to the last stable offset, without the records of aborted transactions (as the fetch
    /// response lists them); what exactly-once pipelines read.
    case readCommitted = 1

    /// Kafka's names: `read_uncommitted`, `read_committed`.
    public var name: String { self == .readCommitted ? "read_committed" : "read_uncommitted" }

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }
}

/// The partition assignment strategies of the classic group protocol.
public enum AssignmentStrategy: String, Sendable, CaseIterable {
    case range
    case roundRobin = "roundrobin"
}

/// The consumer group protocol (`group.protocol`).
public enum ConsumerGroupProtocol: String, Sendable, CaseIterable {
    /// JoinGroup/SyncGroup with a client-side assignor; every rebalance stops the whole group
    /// (this client rebalances eagerly).
    case classic
    /// KIP-848's ConsumerGroupHeartbeat: the broker assigns, and rebalances are incremental (a
    /// member gives up only what moves, the others keep consuming).
    case consumer
}

/// Consumer settings, named after Kafka's consumer configs.
public struct ConsumerConfiguration: Sendable {
    /// `group.id`: needed for ``KafkaConsumer/subscribe(topics:)`` and for commits.
    public var groupId: String?
    /// `auto.offset.reset`.
    public var autoOffsetReset: OffsetResetPolicy
    /// `isolation.level` (Kafka's Java consumer's default, read_uncommitted; librdkafka's is
    /// read_committed).
    public var isolationLevel: IsolationLevel
    /// `enable.auto.commit`: commit what was polled every ``autoCommitInterval`` and on close.
    public var enableAutoCommit: Bool
    public var autoCommitInterval: Duration
    /// `session.timeout.ms`, `rebalance.timeout.ms` (`max.poll.interval.ms`), `heartbeat.interval.ms`.
    public var sessionTimeout: Duration
    public var rebalanceTimeout: Duration
    public var heartbeatInterval: Duration
    /// `partition.assignment.strategy`, in order of preference (classic protocol).
    public var assignmentStrategies: [AssignmentStrategy]
    /// `group.protocol`.
    public var groupProtocol: ConsumerGroupProtocol
    /// `group.remote.assignor`: the broker's assignor to ask for (consumer protocol; nil for the
    /// broker's default). `sessionTimeout` and `heartbeatInterval` are the broker's then.
    public var groupRemoteAssignor: String?
    /// `fetch.min.bytes`, `fetch.max.wait.ms`, `fetch.max.bytes`, `max.partition.fetch.bytes`.
    public var fetchMinBytes: Int32
    public var fetchMaxWait: Duration
    public var fetchMaxBytes: Int32
    public var maxPartitionFetchBytes: Int32
    /// Fetched bytes buffered ahead of `poll` before the fetchers pause.
    public var bufferBytes: Int
    /// `default.api.timeout.ms`: how long `assign`, `subscribe` and `seek` wait for a topic that is
    /// not in the cluster's metadata yet (created a moment ago through another broker) before they
    /// fail with UNKNOWN_TOPIC_OR_PARTITION.
    public var defaultApiTimeout: Duration

    public init(
        groupId: String? = nil,
        autoOffsetReset: OffsetResetPolicy = .latest,
        isolationLevel: IsolationLevel = .readUncommitted,
        enableAutoCommit: Bool = true,
        autoCommitInterval: Duration = .seconds(5),
        sessionTimeout: Duration = .seconds(45),
        rebalanceTimeout: Duration = .seconds(60),
        heartbeatInterval: Duration = .seconds(3),
        assignmentStrategies: [AssignmentStrategy] = [.range, .roundRobin],
        groupProtocol: ConsumerGroupProtocol = .classic,
        groupRemoteAssignor: String? = nil,
        fetchMinBytes: Int32 = 1,
        fetchMaxWait: Duration = .milliseconds(500),
        fetchMaxBytes: Int32 = 50 * 1024 * 1024,
        maxPartitionFetchBytes: Int32 = 1024 * 1024,
        bufferBytes: Int = 64 * 1024 * 1024,
        defaultApiTimeout: Duration = .seconds(60)
    ) {
        self.groupId = groupId
        self.autoOffsetReset = autoOffsetReset
        self.isolationLevel = isolationLevel
        self.enableAutoCommit = enableAutoCommit
        self.autoCommitInterval = autoCommitInterval
        self.sessionTimeout = sessionTimeout
        self.rebalanceTimeout = rebalanceTimeout
        self.heartbeatInterval = heartbeatInterval
        self.assignmentStrategies = assignmentStrategies
        self.groupProtocol = groupProtocol
        self.groupRemoteAssignor = groupRemoteAssignor
        self.fetchMinBytes = fetchMinBytes
        self.fetchMaxWait = fetchMaxWait
        self.fetchMaxBytes = fetchMaxBytes
        self.maxPartitionFetchBytes = maxPartitionFetchBytes
        self.bufferBytes = bufferBytes
        self.defaultApiTimeout = defaultApiTimeout
    }
}
