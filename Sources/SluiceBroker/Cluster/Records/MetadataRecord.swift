import KafkaProtocol
import SluiceSecurity

/// One record of the replicated metadata log. The names and type ids follow Kafka's KRaft
/// metadata records (`RegisterBrokerRecord` = 0, `TopicRecord` = 2, ...); the encoding is Sluice's
/// own (``MetadataRecordCodec``), since Kafka's record schemas are not among the shared specs.
///
/// A Raft entry carries a batch of records that apply atomically (a topic and all its
/// partitions, say); a change too large for one batch spans several, framed by
/// `beginTransaction` … `endTransaction` (KIP-868) so that it still takes effect at once. A
/// snapshot is the list of records that rebuilds an image.
public enum MetadataRecord: Sendable, Equatable {
    /// Sluice: the cluster id, written once by the first active controller.
    case clusterId(String)
    /// A broker (re-)registered; replaces an earlier registration of the same id.
    case registerBroker(BrokerRegistration)
    /// A broker left the cluster (decommission, UnregisterBroker).
    case unregisterBroker(id: Int32, epoch: Int64)
    case fenceBroker(id: Int32, epoch: Int64)
    case unfenceBroker(id: Int32, epoch: Int64)
    /// Kafka's `BrokerRegistrationChangeRecord`: here only the controlled-shutdown flag.
    case brokerShutdownChange(id: Int32, epoch: Int64, inControlledShutdown: Bool)
    /// A new topic (its partitions follow as `partition` records in the same batch).
    case topic(name: String, id: KafkaUUID)
    /// A partition's full registration (creation, and in snapshots).
    case partition(PartitionRegistration)
    /// A change to a partition; every change bumps its partition epoch (see ``PartitionChange``).
    case partitionChange(PartitionChange)
    case removeTopic(id: KafkaUUID)
    /// A config set (`value` non-nil) or removed. Resource types as in DescribeConfigs: 2 topic,
    /// 4 broker ("" = cluster default).
    case config(resourceType: Int8, resourceName: String, name: String, value: String?)
    /// The next block of producer ids starts at `nextProducerId` (Kafka's `ProducerIdsRecord`).
    case producerIds(brokerId: Int32, brokerEpoch: Int64, nextProducerId: Int64)
    /// A user's SCRAM credential for one mechanism, set or replaced (Kafka's
    /// `UserScramCredentialRecord`): salt, iterations, stored and server keys — never the password.
    case userScramCredential(name: String, mechanism: ScramMechanism, credential: ScramCredential)
    /// A user's SCRAM credential for one mechanism removed (`RemoveUserScramCredentialRecord`).
    case removeUserScramCredential(name: String, mechanism: ScramMechanism)
    /// An ACL added (Kafka's `AccessControlEntryRecord`): its id and its binding.
    case accessControlEntry(id: KafkaUUID, binding: AclBinding)
    /// An ACL removed by id (Kafka's `RemoveAccessControlEntryRecord`).
    case removeAccessControlEntry(id: KafkaUUID)
    /// A client quota set (`value` non-nil) or removed (Kafka's `ClientQuotaRecord`): one key of
    /// one user / client-id entity (KIP-546).
    case clientQuota(entity: ClientQuotaEntity, key: String, value: Double?)
    /// Kafka's `BeginTransactionRecord` (KIP-868): the records up to the matching
    /// `endTransaction`, over as many batches as they need, take effect together; `name` says
    /// what for (logs).
    case beginTransaction(name: String?)
    /// Kafka's `EndTransactionRecord`: the open transaction's records take effect now.
    case endTransaction
    /// Kafka's `AbortTransactionRecord`: the open transaction's records never take effect (its
    /// controller lost the leadership before ending it; the next one writes this).
    case abortTransaction(reason: String?)

    /// Kafka's metadata record type ids (Sluice's own from 100).
    public var typeId: Int16 {
        switch self {
        case .registerBroker: return 0
        case .unregisterBroker: return 1
        case .topic: return 2
        case .partition: return 3
        case .config: return 4
        case .partitionChange: return 5
        case .fenceBroker: return 7
        case .unfenceBroker: return 8
        case .removeTopic: return 9
        case .clientQuota: return 14
        case .producerIds: return 15
        case .userScramCredential: return 11
        case .removeUserScramCredential: return 12
        case .brokerShutdownChange: return 17
        case .accessControlEntry: return 18
        case .removeAccessControlEntry: return 19
        case .beginTransaction: return 23
        case .endTransaction: return 24
        case .abortTransaction: return 25
        case .clusterId: return 100
        }
    }
}

/// A change to one partition (Kafka's `PartitionChangeRecord`): nil fields are unchanged.
///
/// Replaying it bumps `partitionEpoch`; setting `leader` (even to the same broker) also bumps
/// `leaderEpoch`, which is how the controller fences an old leadership.
public struct PartitionChange: Sendable, Equatable {
    public var topicId: KafkaUUID
    public var partition: Int32
    public var leader: Int32?
    public var isr: [Int32]?
    public var replicas: [Int32]?
    public var addingReplicas: [Int32]?
    public var removingReplicas: [Int32]?

    public init(topicId: KafkaUUID, partition: Int32, leader: Int32? = nil, isr: [Int32]? = nil,
                replicas: [Int32]? = nil, addingReplicas: [Int32]? = nil, removingReplicas: [Int32]? = nil) {
        self.topicId = topicId
        self.partition = partition
        self.leader = leader
        self.isr = isr
        self.replicas = replicas
        self.addingReplicas = addingReplicas
        self.removingReplicas = removingReplicas
    }

    public var isEmpty: Bool {
        leader == nil && isr == nil && replicas == nil && addingReplicas == nil && removingReplicas == nil
    }
}
