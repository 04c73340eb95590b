import KafkaProtocol
import SluiceBase

/// Cluster administration: topics, partitions, configs, groups, offsets, the cluster and its
/// log directories.
///
/// ```swift
/// let admin = KafkaAdmin(client: client)
/// try await admin.createTopic(NewTopic(name: "orders", partitions: 6, replicationFactor: 3))
/// let topics = try await admin.listTopics()
/// ```
public final class KafkaAdmin: Sendable {
    public let client: KafkaClient

    public init(client: KafkaClient) {
        self.client = client
    }

    /// A connection to the active controller when metadata names one, else to any broker (KRaft
    /// brokers forward admin requests to the controller).
    func controllerConnection() async throws -> BrokerConnection {
        let metadata = try await client.metadata(topics: [])
        if metadata.controllerId >= 0, metadata.brokers[metadata.controllerId] != nil {
            return try await client.connection(toNode: metadata.controllerId)
        }
        return try await client.anyConnection()
    }

    // MARK: Cluster

    /// The cluster id, the controller and the brokers (DescribeCluster where supported, else Metadata);
    /// with `includeAuthorizedOperations`, what this client's principal may do on the cluster.
    public func describeCluster(includeAuthorizedOperations: Bool = false) async throws -> ClusterDescription {
        try await client.withAnyBroker("DescribeCluster") { [client] connection in
            if connection.versions.supports(.describeCluster) {
                let response = try await connection.send(DescribeClusterRequest(includeClusterAuthorizedOperations: includeAuthorizedOperations))
                try ErrorCode(response.errorCode).check(resource: "the cluster", message: response.errorMessage)
                let brokers = response.brokers.map {
                    BrokerInfo(nodeId: $0.brokerId, address: BrokerAddress(host: $0.host, port: Int($0.port)), rack: $0.rack)
                }.sorted { $0.nodeId < $1.nodeId }
                // Int32.min: not asked for, or the broker does not say (Kafka's sentinel).
                let operations = includeAuthorizedOperations && response.clusterAuthorizedOperations != Int32.min
                    ? response.clusterAuthorizedOperations : nil
                return ClusterDescription(clusterId: response.clusterId, controllerId: response.controllerId, brokers: brokers,
                                          authorizedOperations: operations)
            }
            let metadata = try await client.metadata(topics: [], refresh: true)
            return ClusterDescription(clusterId: metadata.clusterId, controllerId: metadata.controllerId,
                                      brokers: metadata.sortedBrokers)
        }
    }

    /// Every broker's log directories and the partitions in them (nil `brokers`: all brokers).
    public func describeLogDirs(brokers: [Int32]? = nil) async throws -> [LogDirDescription] {
        let metadata = try await client.metadata(topics: [], refresh: true)
        let ids = brokers ?? metadata.sortedBrokers.map(\.nodeId)
        var result: [LogDirDescription] = []
        for id in ids {
            let response = try await client.withRetries("DescribeLogDirs") {
                let connection = try await client.connection(toNode: id)
                return try await connection.send(DescribeLogDirsRequest(topics: nil))
            }
            try ErrorCode(response.errorCode).check(resource: "broker \(id)")
            for dir in response.results {
                let partitions = dir.topics.flatMap { t in
                    t.partitions.map {
                        LogDirDescription.PartitionSize(topicPartition: TopicPartition(t.name, $0.partitionIndex),
                                                        size: $0.partitionSize, offsetLag: $0.offsetLag)
                    }
                }.sorted { $0.topicPartition < $1.topicPartition }
                result.append(LogDirDescription(broker: id, path: dir.logDir, error: ErrorCode(dir.errorCode),
                                                totalBytes: dir.totalBytes, usableBytes: dir.usableBytes, partitions: partitions))
            }
        }
        return result
    }

    /// Offsets of partitions: earliest, latest, or by timestamp (latest: the last stable offset
    /// with `.readCommitted`).
    public func listOffsets(_ queries: [TopicPartition: OffsetQuery],
                            isolationLevel: IsolationLevel = .readUncommitted) async throws -> [TopicPartition: Int64] {
        try await client.listOffsets(queries, isolationLevel: isolationLevel)
    }
}
