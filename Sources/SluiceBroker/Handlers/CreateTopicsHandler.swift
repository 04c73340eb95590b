import KafkaProtocol
import SluiceSecurity
import NIOCore

/// CreateTopics (key 19), versions 0-7.
///
/// - v0: create with partition count, replication factor, explicit assignments and configs.
///   v1+: `validate_only` (validates everything, creates nothing) and error messages.
///   v2+: throttle time. v4+: -1 for partitions / replication factor means the broker default.
///   v5+: flexible; the result carries the topic's partition count, replication factor and
///   configs (with their sources) — to a principal with DESCRIBE_CONFIGS on the topic, others get
///   TOPIC_AUTHORIZATION_FAILED as the topic's config error and none of them; v7+: topic id.
/// - Errors per topic: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
///   INVALID_REPLICATION_FACTOR (more replicas than unfenced brokers), INVALID_REPLICA_ASSIGNMENT,
///   INVALID_CONFIG (checked through `LogConfig`), INVALID_REQUEST (a name twice in one request);
///   POLICY_VIOLATION for every topic when the request would create more than 10,000 partitions
///   (Kafka's `MAX_PARTITIONS_PER_BATCH`).
/// - Each topic is forwarded to the controller in turn and answered once this broker's image has
///   it; nothing blocks meanwhile (the request waits on futures, not on a thread).
struct CreateTopicsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...7
    let services: BrokerServices

    typealias TopicResult = CreateTopicsResponse.CreatableTopicResult

    func handle(_ request: CreateTopicsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreateTopicsResponse>> {
        let version = context.apiVersion
        let loop = context.eventLoop
        let counts = Dictionary(request.topics.map { ($0.name, 1) }, uniquingKeysWith: +)
        // The topics are forwarded one by one: the request's total is checked here, at once.
        let partitions = request.topics.map { $0.assignments.isEmpty ? $0.numPartitions : Int32(clamping: $0.assignments.count) }
        if let refusal = TopicValidation.partitionsPerRequestRefusal(partitions, defaultPartitions: services.config.numPartitions) {
            return loop.makeSucceededFuture(HandlerReply(CreateTopicsResponse(topics: request.topics.map { Self.failed($0.name, refusal) })))
        }
        // CREATE on the cluster allows every topic; otherwise CREATE on each topic.
        let createAnywhere = services.authorize(context, .create, .cluster)
        return loop.sequentially(request.topics) { [services] topic -> EventLoopFuture<TopicResult> in
            if counts[topic.name, default: 0] > 1 {
                return loop.makeSucceededFuture(Self.failed(topic.name, ApiError(
                    .invalidRequest, "Create topics request from client contains the topic \(topic.name) more than once.")))
            }
            if !createAnywhere && !services.authorize(context, .create, topic: topic.name) {
                return loop.makeSucceededFuture(Self.failed(topic.name, .topicAuthorizationFailed(topic.name)))
            }
            var creation = TopicCreation(name: topic.name, numPartitions: topic.numPartitions,
                                         replicationFactor: topic.replicationFactor)
            for assignment in topic.assignments {
                creation.assignments[assignment.partitionIndex] = assignment.brokerIds
            }
            for config in topic.configs { creation.configs[config.name] = config.value }
            // v5+ describes the created topic's configs only to a principal with DESCRIBE_CONFIGS
            // on it; otherwise TOPIC_AUTHORIZATION_FAILED as its config error, and no partitions,
            // replication factor or configs (Kafka's ReplicationControlManager).
            let describable = services.authorize(context, .describeConfigs, topic: topic.name)
            return services.metadata.createTopic(creation, validateOnly: request.validateOnly, on: loop).map { created in
                var result = TopicResult(name: topic.name, errorMessage: nil)
                result.topicId = request.validateOnly ? .zero : created.id
                guard describable || version < 5 else {
                    result.topicConfigErrorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    result.configs = []
                    return result
                }
                result.numPartitions = Int32(created.partitions.count)
                result.replicationFactor = created.replicationFactor
                if version >= 5 {
                    result.configs = ConfigDescriber(services: services)
                        .describe(created, keys: nil, includeSynonyms: false, version: 1)
                        .map { .init(name: $0.name, value: $0.value, readOnly: $0.readOnly,
                                     configSource: $0.configSource, isSensitive: false) }
                }
                return result
            }.recover { Self.failed(topic.name, ApiError(wrapping: $0)) }
        }.map { HandlerReply(CreateTopicsResponse(topics: $0)) }
    }

    private static func failed(_ name: String, _ error: ApiError) -> TopicResult {
        var result = TopicResult(name: name, errorMessage: error.message)
        result.errorCode = error.code.rawValue
        result.configs = nil
        return result
    }
}
