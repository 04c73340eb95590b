import KafkaProtocol
import NIOCore
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
// AlterConfigs at their latest versions), each completing once this node's image shows it. None
// blocks a thread: call them from the event loop that should see the result (`loop`).
extension MetadataManager {
    /// Creates a topic (or only validates it). Fails with ``ApiError`` with Kafka's codes:
    /// INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
    /// INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, INVALID_REQUEST,
    /// REQUEST_TIMED_OUT (no controller answered, or the topic has not reached this node).
    public func createTopic(_ creation: TopicCreation, validateOnly: Bool = false,
                            on loop: any EventLoop) -> EventLoopFuture<TopicImage> {
        do {
            try TopicValidation.validateName(creation.name)
        } catch {
            return loop.makeFailedFuture(error)
        }
        var topic = CreateTopicsRequest.CreatableTopic(name: creation.name, numPartitions: creation.numPartitions,
                                                       replicationFactor: creation.replicationFactor)
        topic.assignments = creation.assignments.sorted { $0.key < $1.key }.map { .init(partitionIndex: $0.key, brokerIds: $0.value) }
        topic.configs = creation.configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }
        var request = CreateTopicsRequest()
        request.topics = [topic]
        request.validateOnly = validateOnly
        request.timeoutMs = Int32(Self.forwardTimeoutMs)
        return tracking {
            forward(request, version: 7, on: loop).flatMap { [self] response in
                guard let result = response.topics.first else {
                    return loop.makeFailedFuture(ApiError(.unknownServerError, "the controller answered no topic"))
                }
                if result.errorCode != 0 {
                    return loop.makeFailedFuture(ApiError(ErrorCode(result.errorCode), result.errorMessage))
                }
                if validateOnly {
                    let partitions = (0..<max(0, result.numPartitions)).map { index in
                        PartitionRegistration(topicId: .zero, partition: index,
                                              replicas: Array(repeating: -1, count: Int(max(0, result.replicationFactor))),
                                              isr: [], leader: -1)
                    }
                    var configs: [String: String] = [:]
                    for (key, value) in creation.configs { configs[key] = value }
                    return loop.makeSucceededFuture(TopicImage(name: creation.name, id: .zero, partitions: partitions, configs: configs))
                }
                let id = result.topicId
                return awaitImage(on: loop) { $0.topicNames[id] != nil }.flatMapThrowing { [self] in
                    guard let created = snapshot.topic(id: id) else {
                        throw ApiError(.requestTimedOut, "Topic \(creation.name) was created but has not reached this broker yet.")
                    }
                    return created
                }
            }
        }
    }

    /// Deletes a topic: the controller removes it from the metadata; every broker then deletes
    /// its logs (``LocalReplicas``).
    public func deleteTopic(_ name: String, on loop: any EventLoop) -> EventLoopFuture<TopicImage> {
        var request = DeleteTopicsRequest()
        request.topics = [.init(name: name)]
        request.timeoutMs = Int32(Self.forwardTimeoutMs)
        return tracking {
            forward(request, version: 6, on: loop).flatMap { [self] response in
                guard let result = response.responses.first else {
                    return loop.makeFailedFuture(ApiError(.unknownServerError, "the controller answered no topic"))
                }
                if result.errorCode != 0 {
                    return loop.makeFailedFuture(ApiError(ErrorCode(result.errorCode), result.errorMessage))
                }
                let id = result.topicId
                let known = snapshot.topic(id: id)
                return awaitImage(on: loop) { $0.topicNames[id] == nil }.map { known ?? TopicImage(name: name, id: id) }
            }
        }
    }

    /// Grows a topic to `count` partitions.
    public func createPartitions(topic name: String, count: Int32, assignments: [[Int32]]?, validateOnly: Bool,
                                 on loop: any EventLoop) -> EventLoopFuture<Void> {
        var request = CreatePartitionsRequest()
        request.topics = [.init(name: name, count: count, assignments: assignments?.map { .init(brokerIds: $0) })]
        request.validateOnly = validateOnly
        request.timeoutMs = Int32(Self.forwardTimeoutMs)
        return tracking {
            forward(request, version: 3, on: loop).flatMap { [self] response in
                guard let result = response.results.first else {
                    return loop.makeFailedFuture(ApiError(.unknownServerError, "the controller answered no topic"))
                }
                if result.errorCode != 0 {
                    return loop.makeFailedFuture(ApiError(ErrorCode(result.errorCode), result.errorMessage))
                }
                if validateOnly { return loop.makeSucceededVoidFuture() }
                return awaitImage(on: loop) { ($0.topics[name]?.partitions.count ?? 0) >= Int(count) }
            }
        }
    }

    /// Replaces a topic's config overrides (validated by the controller).
    public func setTopicConfigs(topic name: String, to configs: [String: String], validateOnly: Bool,
                                on loop: any EventLoop) -> EventLoopFuture<Void> {
        var request = AlterConfigsRequest()
        request.resources = [.init(resourceType: 2, resourceName: name,
                                   configs: configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })]
        request.validateOnly = validateOnly
        return tracking {
            forward(request, version: 2, on: loop).flatMap { [self] response in
                guard let result = response.responses.first else {
                    return loop.makeFailedFuture(ApiError(.unknownServerError, "the controller answered no resource"))
                }
                if result.errorCode != 0 {
                    return loop.makeFailedFuture(ApiError(ErrorCode(result.errorCode), result.errorMessage))
                }
                if validateOnly { return loop.makeSucceededVoidFuture() }
                return awaitImage(on: loop) { $0.topics[name]?.configs == configs }
            }
        }
    }

    /// Replaces a BROKER resource's dynamic configs (`name` "" for the cluster-wide defaults, or a
    /// broker id), validated here and by the controller, as Kafka's brokers and controller both do.
    public func setBrokerConfigs(resource name: String, to configs: [String: String], validateOnly: Bool,
                                 on loop: any EventLoop) -> EventLoopFuture<Void> {
        do {
            try DynamicBrokerConfig.validate(configs, resourceName: name)
        } catch {
            return loop.makeFailedFuture(error)
        }
        var request = AlterConfigsRequest()
        request.resources = [.init(resourceType: 4, resourceName: name,
                                   configs: configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })]
        request.validateOnly = validateOnly
        return tracking {
            forward(request, version: 2, on: loop).flatMap { [self] response in
                guard let result = response.responses.first else {
                    return loop.makeFailedFuture(ApiError(.unknownServerError, "the controller answered no resource"))
                }
                if result.errorCode != 0 {
                    return loop.makeFailedFuture(ApiError(ErrorCode(result.errorCode), result.errorMessage))
                }
                if validateOnly { return loop.makeSucceededVoidFuture() }
                return awaitImage(on: loop) { image in
                    (name.isEmpty ? image.brokerDefaults : image.brokerConfigs[Int32(name) ?? -1] ?? [:]) == configs
                }
            }
        }
    }

    /// A BROKER resource's dynamic configs in this node's image.
    public func brokerConfigs(resource name: String) -> [String: String] {
        let image = snapshot
        return name.isEmpty ? image.brokerDefaults : image.brokerConfigs[Int32(name) ?? -1] ?? [:]
    }
}
