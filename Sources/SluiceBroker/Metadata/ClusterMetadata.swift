import KafkaProtocol

/// The cluster's metadata as a value: topics (with ids, partitions, replica assignments and
/// configs) and the producer-id allocation watermark.
///
/// Every change is a new value handed to a ``MetadataStore``; today the store is a file in the
/// data directory (``FileMetadataStore``), later a Raft-replicated metadata log can take its place
/// without the broker noticing.
public struct ClusterMetadata: Sendable, Equatable, Codable {
    public var clusterId: String
    public var topics: [String: TopicMetadata]
    /// Producer ids below this have been handed out (or reserved); never allocate them again.
    public var producerIdBlockEnd: Int64

    public init(clusterId: String, topics: [String: TopicMetadata] = [:], producerIdBlockEnd: Int64 = 0) {
        self.clusterId = clusterId
        self.topics = topics
        self.producerIdBlockEnd = producerIdBlockEnd
    }

    /// A fresh cluster with a random id in Kafka's format (a base64 UUID).
    public static func new() -> ClusterMetadata {
        ClusterMetadata(clusterId: KafkaUUID.random().base64)
    }

    public func topic(id: KafkaUUID) -> TopicMetadata? {
        topics.values.first(where: { $0.id == id })
    }
}

/// One topic: its id, its partitions and its configs (only those set on the topic).
public struct TopicMetadata: Sendable, Equatable, Codable {
    public var name: String
    public var id: KafkaUUID
    public var partitions: [PartitionMetadata]
    /// Topic-level config overrides by Kafka name (`retention.ms`, ...).
    public var configs: [String: String]

    public init(name: String, id: KafkaUUID, partitions: [PartitionMetadata], configs: [String: String]) {
        self.name = name
        self.id = id
        self.partitions = partitions
        self.configs = configs
    }

    public var replicationFactor: Int16 { Int16(partitions.first?.replicas.count ?? 0) }
}

/// One partition's replica assignment and leadership.
public struct PartitionMetadata: Sendable, Equatable, Codable {
    public var replicas: [Int32]
    public var leader: Int32
    public var leaderEpoch: Int32

    public init(replicas: [Int32], leader: Int32, leaderEpoch: Int32 = 0) {
        self.replicas = replicas
        self.leader = leader
        self.leaderEpoch = leaderEpoch
    }
}

extension KafkaUUID: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let uuid = KafkaUUID(base64: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad UUID \(text)"))
        }
        self = uuid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}
