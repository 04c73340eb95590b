import KafkaProtocol
import SluiceBase

/// One partition's replication state as the cluster metadata gives it to a broker: who holds
/// replicas, who is in sync, who leads, and the epochs that order the changes.
///
/// - `leaderEpoch` grows with every leader election (and stamps the leader's batches);
/// - `partitionEpoch` grows with every change of the partition (ISR, replicas, leader): an
///   AlterPartition names the one it builds on, so a stale change is refused.
public struct PartitionState: Sendable, Equatable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var topicId: KafkaUUID
    /// The assigned replicas, preferred leader first.
    public var replicas: [Int32]
    /// The in-sync replicas, as last committed by the controller.
    public var isr: [Int32]
    /// The leader's node id, or -1 when the partition has none.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    /// Replicas being added or removed by a reassignment (they are also in `replicas`).
    public var addingReplicas: [Int32]
    public var removingReplicas: [Int32]

    public init(topicPartition: TopicPartition, topicId: KafkaUUID = .zero, replicas: [Int32], isr: [Int32],
                leader: Int32, leaderEpoch: Int32, partitionEpoch: Int32,
                addingReplicas: [Int32] = [], removingReplicas: [Int32] = []) {
        self.topicPartition = topicPartition
        self.topicId = topicId
        self.replicas = replicas
        self.isr = isr
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.addingReplicas = addingReplicas
        self.removingReplicas = removingReplicas
    }

    public var description: String {
        "\(topicPartition) leader \(leader) epoch \(leaderEpoch) replicas \(replicas) isr \(isr) partition epoch \(partitionEpoch)"
    }
}
