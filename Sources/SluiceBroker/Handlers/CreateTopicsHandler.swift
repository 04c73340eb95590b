import KafkaProtocol
import NIOCore

/// CreateTopics (key 19), versions 0-7.
///
/// - v0: create with partition count, replication factor, explicit assignments and configs.
///   v1+: `validate_only` (validates everything, creates nothing) and error messages.
///   v2+: throttle time. v4+: -1 for partitions / replication factor means the broker default.
///   v5+: flexible; the result carries the topic's partition count, replication factor and
///   configs (with their sources); v7+: topic id.
/// - Errors per topic: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
///   INVALID_REPLICATION_FACTOR (more replicas than this one broker), INVALID_REPLICA_ASSIGNMENT,
///   INVALID_CONFIG (checked through `LogConfig`), INVALID_REQUEST (a name twice in one request).
/// - Creation writes directories and the metadata file: it runs on the I/O pool.
struct CreateTopicsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...7
    let services: BrokerServices

    func handle(_ request: CreateTopicsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreateTopicsResponse>> {
        let version = context.apiVersion
        return services.offLoop(context) { [services] in
            var counts: [String: Int] = [:]
            for topic in request.topics { counts[topic.name, default: 0] += 1 }
            var response = CreateTopicsResponse()
            for topic in request.topics {
                var result = CreateTopicsResponse.CreatableTopicResult(name: topic.name, errorMessage: nil)
                do {
                    if counts[topic.name, default: 0] > 1 {
                        throw ApiError(.invalidRequest, "Create topics request from client contains the topic \(topic.name) more than once.")
                    }
                    var creation = TopicCreation(name: topic.name, numPartitions: topic.numPartitions,
                                                 replicationFactor: topic.replicationFactor)
                    for assignment in topic.assignments {
                        creation.assignments[assignment.partitionIndex] = assignment.brokerIds
                    }
                    for config in topic.configs { creation.configs[config.name] = config.value }
                    let created = try services.metadata.createTopic(creation, validateOnly: request.validateOnly)
                    result.topicId = request.validateOnly ? .zero : created.id
                    result.numPartitions = Int32(created.partitions.count)
                    result.replicationFactor = created.replicationFactor
                    if version >= 5 {
                        result.configs = ConfigDescriber(services: services)
                            .describe(created, keys: nil, includeSynonyms: false, version: 1)
                            .map { .init(name: $0.name, value: $0.value, readOnly: $0.readOnly,
                                         configSource: $0.configSource, isSensitive: false) }
                    }
                } catch let error as ApiError {
                    result.errorCode = error.code.rawValue
                    result.errorMessage = error.message
                    result.configs = nil
                } catch {
                    result.errorCode = ErrorCode.unknownServerError.rawValue
                    result.errorMessage = "\(error)"
                    result.configs = nil
                }
                response.topics.append(result)
            }
            return HandlerReply(response)
        }
    }
}
