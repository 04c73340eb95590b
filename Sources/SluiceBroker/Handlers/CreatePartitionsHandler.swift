import KafkaProtocol
import SluiceSecurity
import NIOCore

/// CreatePartitions (key 37), versions 0-3.
///
/// - v0-1: grow topics to a new partition count, optionally with replica assignments for the
///   new partitions, or only validate. v2+: flexible. v3: same as v2.
/// - Errors per topic: UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (not more than today),
///   INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST (a topic twice in one request); POLICY_VIOLATION
///   for every topic when the request would add more than 10,000 partitions.
/// - Each topic is forwarded to the controller in turn; nothing blocks while it waits.
struct CreatePartitionsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: BrokerServices

    typealias TopicResult = CreatePartitionsResponse.CreatePartitionsTopicResult

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreatePartitionsResponse>> {
        let loop = context.eventLoop
        let counts = Dictionary(request.topics.map { ($0.name, 1) }, uniquingKeysWith: +)
        // The topics are forwarded one by one: the request's total is checked here, at once.
        let image = services.metadata.snapshot
        let added = request.topics.map { $0.count - Int32(clamping: image.topics[$0.name]?.partitions.count ?? Int($0.count)) }
        if let refusal = TopicValidation.partitionsPerRequestRefusal(added, defaultPartitions: 0) {
            return loop.makeSucceededFuture(HandlerReply(CreatePartitionsResponse(
                results: request.topics.map { Self.failed(TopicResult(name: $0.name), refusal) })))
        }
        return loop.sequentially(request.topics) { [services] topic -> EventLoopFuture<TopicResult> in
            let result = TopicResult(name: topic.name)
            if counts[topic.name, default: 0] > 1 {
                return loop.makeSucceededFuture(Self.failed(result, ApiError(.invalidRequest, "Duplicate topic in request: \(topic.name)")))
            }
            guard services.authorize(context, .alter, topic: topic.name) else {
                return loop.makeSucceededFuture(Self.failed(result, .topicAuthorizationFailed(topic.name)))
            }
            return services.metadata.createPartitions(topic: topic.name, count: topic.count,
                                                      assignments: topic.assignments?.map(\.brokerIds),
                                                      validateOnly: request.validateOnly, on: loop)
                .map { result }
                .recover { Self.failed(result, ApiError(wrapping: $0)) }
        }.map { HandlerReply(CreatePartitionsResponse(results: $0)) }
    }

    private static func failed(_ result: TopicResult, _ error: ApiError) -> TopicResult {
        var result = result
        result.errorCode = error.code.rawValue
        result.errorMessage = error.message
        return result
    }
}
