import KafkaProtocol
import SluiceBase
import SluiceStorage

// The seam between the cluster metadata (this directory) and the partition layer
// (`Partitions/`, `Replication/`). The metadata side owns *what* each broker should do with each
// partition; the partition side owns *how* (logs, follower fetchers, the ISR, the high
// watermark). This file is the whole contract between them.

/// What this broker must do with one of its partitions after a metadata change, as Kafka's
/// `ReplicaManager.applyDelta` sees it. Derived by comparing the previous and the new
/// ``MetadataImage`` for the local broker id.
public enum LocalPartitionChange: Sendable, Equatable, CustomStringConvertible {
    /// This broker leads the partition. Sent when it becomes leader, and again on every later
    /// change of the registration while it leads (ISR, replicas, reassignment, epochs), so the
    /// leader always knows the committed ISR and `partitionEpoch` (AlterPartition needs both).
    /// `isNewLeader` is true when this broker was not the leader at this `leaderEpoch` before
    /// (a new term: stop fetching, reset follower state, start serving produce at this epoch).
    case becomeLeader(LocalPartition, isNewLeader: Bool)
    /// This broker is a follower (a replica, not the leader). `partition.registration.leader`
    /// is the leader to fetch from (-1: none right now; wait for the next change). Sent when it
    /// becomes follower, and on every later change (new leader, new epoch, ISR changes).
    /// `isNewLeaderEpoch`: the leader or its epoch changed (truncate by epoch, restart fetching).
    case becomeFollower(LocalPartition, isNewLeaderEpoch: Bool)
    /// This broker no longer holds a replica: it was reassigned away (`deleteLog` true) or the
    /// topic was deleted (`deleteLog` true). Stop fetching, fail waiting requests, and delete the
    /// log when told to.
    case stopReplica(TopicPartition, topicId: KafkaUUID, deleteLog: Bool)

    public var topicPartition: TopicPartition {
        switch self {
        case .becomeLeader(let p, _), .becomeFollower(let p, _): return p.topicPartition
        case .stopReplica(let tp, _, _): return tp
        }
    }

    public var description: String {
        switch self {
        case .becomeLeader(let p, let new): return "lead \(p)\(new ? " (new)" : "")"
        case .becomeFollower(let p, let new): return "follow \(p)\(new ? " (new epoch)" : "")"
        case .stopReplica(let tp, _, let delete): return "stop \(tp)\(delete ? " and delete" : "")"
        }
    }
}

/// A partition this broker holds, with its topic's name and effective log config.
public struct LocalPartition: Sendable, Equatable, CustomStringConvertible {
    public var topicName: String
    public var registration: PartitionRegistration
    /// The topic's effective log config (its overrides on this broker's defaults).
    public var config: LogConfig

    public init(topicName: String, registration: PartitionRegistration, config: LogConfig) {
        self.topicName = topicName
        self.registration = registration
        self.config = config
    }

    public var topicPartition: TopicPartition { TopicPartition(topicName, registration.partition) }

    public static func == (lhs: LocalPartition, rhs: LocalPartition) -> Bool {
        lhs.topicName == rhs.topicName && lhs.registration == rhs.registration
    }

    public var description: String { "\(topicPartition) \(registration)" }
}

/// One published metadata change as it concerns this broker's partitions.
public struct LocalPartitionDelta: Sendable {
    /// The image after the change (brokers' endpoints for fetching from a leader are in
    /// `image.brokers[leader]?.clientEndpoint`).
    public var image: MetadataImage
    /// The image before it.
    public var previous: MetadataImage
    /// The changes for this broker, in topic-partition order. Never empty.
    public var changes: [LocalPartitionChange]

    public init(image: MetadataImage, previous: MetadataImage, changes: [LocalPartitionChange]) {
        self.image = image
        self.previous = previous
        self.changes = changes
    }
}

/// Receives this broker's partition changes from the metadata log.
///
/// Calls arrive on the metadata publisher's serial queue (not an event loop, not the Raft
/// driver), one at a time, in metadata-log order, after the new image is visible to handlers.
/// A listener may block briefly (creating or deleting a log) but must not wait on the network.
/// The broker registers listeners at start-up (`ClusterNode.addPartitionListener`); the log
/// keeper (which creates and deletes local logs) always runs first, so a listener finds the
/// log of every partition it is told to lead or follow.
///
/// At start-up the first call carries every local partition (compared with an empty image), so
/// a restarted broker learns its leaderships and followerships the same way.
public protocol PartitionStateListener: AnyObject, Sendable {
    func partitionsChanged(_ delta: LocalPartitionDelta)
}
