import KafkaProtocol
import SluiceBase

/// A broker as metadata describes it.
public struct BrokerInfo: Hashable, Sendable {
    public var nodeId: Int32
    public var address: BrokerAddress
    public var rack: String?

    public init(nodeId: Int32, address: BrokerAddress, rack: String? = nil) {
        self.nodeId = nodeId
        self.address = address
        self.rack = rack
    }
}

/// One partition's placement.
public struct PartitionInfo: Hashable, Sendable {
    public var partition: Int32
    /// The leader's node id, or -1 when there is none.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var offlineReplicas: [Int32]
    public var error: ErrorCode

    public init(partition: Int32, leader: Int32, leaderEpoch: Int32 = -1, replicas: [Int32] = [], isr: [Int32] = [],
                offlineReplicas: [Int32] = [], error: ErrorCode = .noError) {
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offlineReplicas = offlineReplicas
        self.error = error
    }
}

/// A topic and its partitions (sorted by partition index).
public struct TopicInfo: Hashable, Sendable {
    public var name: String
    public var topicId: KafkaUUID
    public var isInternal: Bool
    public var partitions: [PartitionInfo]
    /// A topic-level error (e.g. UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE while creating).
    public var error: ErrorCode

    public init(name: String, topicId: KafkaUUID = .zero, isInternal: Bool = false, partitions: [PartitionInfo],
                error: ErrorCode = .noError) {
        self.name = name
        self.topicId = topicId
        self.isInternal = isInternal
        self.partitions = partitions.sorted { $0.partition < $1.partition }
        self.error = error
    }

    public func partition(_ index: Int32) -> PartitionInfo? {
        if index >= 0, Int(index) < partitions.count, partitions[Int(index)].partition == index {
            return partitions[Int(index)]
        }
        return partitions.first { $0.partition == index }
    }
}

/// What the client knows of the cluster: brokers, controller and topics. An immutable value;
/// the cache replaces it whole on refresh.
public struct ClusterMetadata: Sendable, Hashable {
    public var clusterId: String?
    /// The active controller's node id, or -1 when unknown.
    public var controllerId: Int32
    public var brokers: [Int32: BrokerInfo]
    public var topics: [String: TopicInfo]

    public init(clusterId: String? = nil, controllerId: Int32 = -1, brokers: [Int32: BrokerInfo] = [:],
                topics: [String: TopicInfo] = [:]) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.topics = topics
    }

    /// Builds the snapshot from a Metadata response.
    public init(response: MetadataResponse) {
        var brokers: [Int32: BrokerInfo] = [:]
        for b in response.brokers {
            brokers[b.nodeId] = BrokerInfo(nodeId: b.nodeId, address: BrokerAddress(host: b.host, port: Int(b.port)), rack: b.rack)
        }
        var topics: [String: TopicInfo] = [:]
        for t in response.topics {
            guard let name = t.name else { continue }
            let partitions = t.partitions.map {
                PartitionInfo(partition: $0.partitionIndex, leader: $0.leaderId, leaderEpoch: $0.leaderEpoch,
                              replicas: $0.replicaNodes, isr: $0.isrNodes, offlineReplicas: $0.offlineReplicas,
                              error: ErrorCode($0.errorCode))
            }
            topics[name] = TopicInfo(name: name, topicId: t.topicId, isInternal: t.isInternal, partitions: partitions,
                                     error: ErrorCode(t.errorCode))
        }
        self.init(clusterId: response.clusterId, controllerId: response.controllerId, brokers: brokers, topics: topics)
    }

    /// The leader of a partition, when known and alive in the broker list.
    public func leader(for tp: TopicPartition) -> BrokerInfo? {
        guard let p = topics[tp.topic]?.partition(tp.partition), p.leader >= 0 else { return nil }
        return brokers[p.leader]
    }

    /// Brokers sorted by node id.
    public var sortedBrokers: [BrokerInfo] { brokers.values.sorted { $0.nodeId < $1.nodeId } }
}
