import KafkaProtocol
import SluiceBase
import SluiceSecurity
import SluiceStorage

/// The cluster's metadata as a value: what replaying the metadata log up to `offset` gives.
///
/// Every broker holds one (``MetadataImagePublisher`` replaces it after each committed batch of
/// records); the active controller holds the same plus its own uncommitted records. Handlers read
/// it for Metadata, DescribeCluster, leadership checks and configs.
public struct MetadataImage: Sendable, Equatable {
    /// Set by the first active controller (`ClusterIdRecord`); nil in a quorum that has not
    /// elected one yet.
    public var clusterId: String?
    /// The metadata log offset after the last record applied (the next offset).
    public var offset: Int64 = 0
    public var brokers: [Int32: BrokerRegistration] = [:]
    public var topics: [String: TopicImage] = [:]
    public var topicNames: [KafkaUUID: String] = [:]
    /// Producer ids below this have been handed out in blocks (`ProducerIdsRecord`).
    public var nextProducerIdBlock: Int64 = 0
    /// Cluster-wide dynamic broker configs (`ConfigRecord` with an empty broker name).
    public var brokerDefaults: [String: String] = [:]
    /// Per-broker dynamic configs (`ConfigRecord` naming a broker id), by broker id.
    public var brokerConfigs: [Int32: [String: String]] = [:]
    /// SCRAM credentials by user and mechanism (`UserScramCredentialRecord`): what SCRAM
    /// authentication checks on every broker.
    public var scramCredentials: [String: [ScramMechanism: ScramCredential]] = [:]
    /// ACLs by id (`AccessControlEntryRecord`): DeleteAcls removes them by id.
    public private(set) var aclsById: [KafkaUUID: AclBinding] = [:]
    /// The same ACLs arranged for the authorizer (``StandardAuthorizer``), on every broker.
    public private(set) var acls = AclIndex()
    /// Client quotas by user / client-id entity (`ClientQuotaRecord`): what every broker enforces.
    public var clientQuotas = ClientQuotaImage()

    public init() {}

    public func topic(_ name: String) -> TopicImage? { topics[name] }

    /// Adds an ACL; false when its id is taken.
    mutating func addAcl(id: KafkaUUID, _ binding: AclBinding) -> Bool {
        guard aclsById[id] == nil else { return false }
        aclsById[id] = binding
        acls.insert(binding)
        return true
    }

    /// Removes the ACL of `id`; false when there is none.
    mutating func removeAcl(id: KafkaUUID) -> Bool {
        guard let binding = aclsById.removeValue(forKey: id) else { return false }
        acls.remove(binding)
        return true
    }

    public func topic(id: KafkaUUID) -> TopicImage? { topicNames[id].flatMap { topics[$0] } }

    public func partition(_ tp: TopicPartition) -> PartitionRegistration? {
        guard let topic = topics[tp.topic], tp.partition >= 0, Int(tp.partition) < topic.partitions.count else { return nil }
        return topic.partitions[Int(tp.partition)]
    }

    /// Registered brokers that may take leaderships (unfenced, not shutting down), by id.
    public var activeBrokers: [BrokerRegistration] {
        brokers.values.filter(\.isActive).sorted { $0.id < $1.id }
    }

    /// Every partition of which `broker` holds a replica.
    public func partitions(replicatedOn broker: Int32) -> [(topic: TopicImage, partition: PartitionRegistration)] {
        topics.values.flatMap { topic in
            topic.partitions.filter { $0.isReplica(broker) }.map { (topic, $0) }
        }
    }
}

/// One topic: its id, partitions (index = partition number) and config overrides.
public struct TopicImage: Sendable, Equatable {
    public var name: String
    public var id: KafkaUUID
    public var partitions: [PartitionRegistration]
    /// Topic-level overrides by Kafka name (`retention.ms`, ...).
    public var configs: [String: String]

    public init(name: String, id: KafkaUUID, partitions: [PartitionRegistration] = [], configs: [String: String] = [:]) {
        self.name = name
        self.id = id
        self.partitions = partitions
        self.configs = configs
    }

    public var replicationFactor: Int16 { Int16(partitions.first?.targetReplicas.count ?? 0) }

    /// Internal topics (`__consumer_offsets`, `__transaction_state`) are flagged in Metadata.
    public var isInternal: Bool { name == "__consumer_offsets" || name == "__transaction_state" }
}
