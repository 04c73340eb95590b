import KafkaProtocol

/// One partition as the replicated metadata log describes it (Kafka's `PartitionRecord` after
/// every `PartitionChangeRecord`): who holds it, who is in sync, who leads at which epoch.
///
/// Two counters order the changes:
/// - `leaderEpoch` goes up whenever the leader changes (or the controller fences the old
///   leadership): followers fetch with it, and a request carrying an older one is fenced.
/// - `partitionEpoch` goes up on **every** change (ISR, replicas, leader). AlterPartition must
///   carry the current one; a stale one gets INVALID_UPDATE_VERSION.
public struct PartitionRegistration: Sendable, Hashable, CustomStringConvertible {
    public var topicId: KafkaUUID
    public var partition: Int32
    /// The assigned replicas, preferred leader first. During a reassignment this is the union of
    /// the old and the new set (`addingReplicas` and `removingReplicas` say which is which).
    public var replicas: [Int32]
    /// The in-sync replicas (a subset of `replicas`); the leader is always in it.
    public var isr: [Int32]
    /// The leader's id, or -1 when no eligible replica is alive (the partition is offline).
    public var leader: Int32
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    /// Replicas being added by a reassignment (not yet in the ISR).
    public var addingReplicas: [Int32]
    /// Replicas to drop once every adding replica has joined the ISR.
    public var removingReplicas: [Int32]

    public init(topicId: KafkaUUID, partition: Int32, replicas: [Int32], isr: [Int32], leader: Int32,
                leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0,
                addingReplicas: [Int32] = [], removingReplicas: [Int32] = []) {
        self.topicId = topicId
        self.partition = partition
        self.replicas = replicas
        self.isr = isr
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.addingReplicas = addingReplicas
        self.removingReplicas = removingReplicas
    }

    /// The first replica of the assignment: the leader when everything is healthy.
    public var preferredLeader: Int32 { replicas.first ?? -1 }

    /// Whether `broker` holds a replica of this partition.
    public func isReplica(_ broker: Int32) -> Bool { replicas.contains(broker) }

    /// The replicas the partition ends with once its reassignment completes.
    public var targetReplicas: [Int32] { replicas.filter { !removingReplicas.contains($0) } }

    public var isReassigning: Bool { !addingReplicas.isEmpty || !removingReplicas.isEmpty }

    public var description: String {
        "p\(partition) leader \(leader)@\(leaderEpoch) replicas \(replicas) isr \(isr) epoch \(partitionEpoch)"
            + (isReassigning ? " adding \(addingReplicas) removing \(removingReplicas)" : "")
    }
}
