import KafkaProtocol
import SluiceStorage

/// A topic to create, as CreateTopics and auto-creation describe it.
public struct TopicCreation: Sendable {
    public var name: String
    /// -1: `num.partitions`.
    public var numPartitions: Int32 = -1
    /// -1: `default.replication.factor`.
    public var replicationFactor: Int16 = -1
    /// Explicit replica lists by partition index (then both counts must be -1).
    public var assignments: [Int32: [Int32]] = [:]
    public var configs: [String: String?] = [:]

    public init(name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                assignments: [Int32: [Int32]] = [:], configs: [String: String?] = [:]) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.assignments = assignments
        self.configs = configs
    }
}

// Topic changes, forwarded to the controller (CreateTopics, DeleteTopics, CreatePartitions and
// AlterConfigs at their latest versions), each returning once this node's image shows it.
extension MetadataManager {
    /// Creates a topic (or only validates it). Throws ``ApiError`` with Kafka's codes:
    /// INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
    /// INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, INVALID_REQUEST.
    @discardableResult
    public func createTopic(_ creation: TopicCreation, validateOnly: Bool = false) throws -> TopicImage {
        try tracking { try createTopic0(creation, validateOnly: validateOnly) }
    }
    func createTopic0(_ creation: TopicCreation, validateOnly: Bool = false) throws -> TopicImage {
        try TopicValidation.validateName(creation.name)
        var topic = CreateTopicsRequest.CreatableTopic(name: creation.name, numPartitions: creation.numPartitions,
                                                       replicationFactor: creation.replicationFactor)
        topic.assignments = creation.assignments.sorted { $0.key < $1.key }.map { .init(partitionIndex: $0.key, brokerIds: $0.value) }
        topic.configs = creation.configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }
        var request = CreateTopicsRequest()
        request.topics = [topic]
        request.validateOnly = validateOnly
        request.timeoutMs = Int32(Self.forwardTimeoutMs)
        let response = try forward(request, version: 7)
        guard let result = response.topics.first else { throw ApiError(.unknownServerError, "the controller answered no topic") }
        if result.errorCode != 0 { throw ApiError(ErrorCode(result.errorCode), result.errorMessage) }
        if validateOnly {
            let partitions = (0..<max(0, result.numPartitions)).map { index in
                PartitionRegistration(topicId: .zero, partition: index, replicas: Array(repeating: -1, count: Int(max(0, result.replicationFactor))),
                                      isr: [], leader: -1)
            }
            var configs: [String: String] = [:]
            for (key, value) in creation.configs { configs[key] = value }
            return TopicImage(name: creation.name, id: .zero, partitions: partitions, configs: configs)
        }
        let id = result.topicId
        awaitImage { $0.topicNames[id] != nil }
        guard let created = snapshot.topic(id: id) else {
            throw ApiError(.requestTimedOut, "Topic \(creation.name) was created but has not reached this broker yet.")
        }
        return created
    }

    /// Deletes a topic: the controller removes it from the metadata; every broker then deletes
    /// its logs (``LocalReplicas``).
    public func deleteTopic(_ name: String) throws -> TopicImage {
        var request = DeleteTopicsRequest()
        request.topics = [.init(name: name)]
        request.timeoutMs = Int32(Self.forwardTimeoutMs)
        let response = try forward(request, version: 6)
        guard let result = response.responses.first else { throw ApiError(.unknownServerError, "the controller answered no topic") }
        if result.errorCode != 0 { throw ApiError(ErrorCode(result.errorCode), result.errorMessage) }
        let id = result.topicId
        let known = snapshot.topic(id: id)
        awaitImage { $0.topicNames[id] == nil }
        return known ?? TopicImage(name: name, id: id)
    }

    /// Grows a topic to `count` partitions.
    public func createPartitions(topic name: String, count: Int32, assignments: [[Int32]]?, validateOnly: Bool) throws {
        var request = CreatePartitionsRequest()
        request.topics = [.init(name: name, count: count, assignments: assignments?.map { .init(brokerIds: $0) })]
        request.validateOnly = validateOnly
        request.timeoutMs = Int32(Self.forwardTimeoutMs)
        let response = try forward(request, version: 3)
        guard let result = response.results.first else { throw ApiError(.unknownServerError, "the controller answered no topic") }
        if result.errorCode != 0 { throw ApiError(ErrorCode(result.errorCode), result.errorMessage) }
        if !validateOnly { awaitImage { ($0.topics[name]?.partitions.count ?? 0) >= Int(count) } }
    }

    /// Replaces a topic's config overrides (validated by the controller).
    public func setTopicConfigs(topic name: String, to configs: [String: String], validateOnly: Bool) throws {
        var request = AlterConfigsRequest()
        request.resources = [.init(resourceType: 2, resourceName: name,
                                   configs: configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })]
        request.validateOnly = validateOnly
        let response = try forward(request, version: 2)
        guard let result = response.responses.first else { throw ApiError(.unknownServerError, "the controller answered no resource") }
        if result.errorCode != 0 { throw ApiError(ErrorCode(result.errorCode), result.errorMessage) }
        if !validateOnly { awaitImage { $0.topics[name]?.configs == configs } }
    }
}
