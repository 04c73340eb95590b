import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceStorage

/// DeleteTopics (key 20), versions 0-6.
///
/// - v0-3: topics by name. v4+: flexible. v5+: error messages. v6: topics by name or by id
///   (`topics` replaces `topic_names`); an unknown id gives UNKNOWN_TOPIC_ID.
/// - An unknown name gives UNKNOWN_TOPIC_OR_PARTITION; `delete.topic.enable=false` gives
///   TOPIC_DELETION_DISABLED. The metadata change is committed before the logs are removed.
/// - Each topic is forwarded to the controller in turn; nothing blocks while it waits.
struct DeleteTopicsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...6
    let services: BrokerServices

    typealias TopicResult = DeleteTopicsResponse.DeletableTopicResult

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteTopicsResponse>> {
        let version = context.apiVersion
        let loop = context.eventLoop
        let targets: [(name: String?, id: KafkaUUID)] = version >= 6
            ? request.topics.map { ($0.name, $0.topicId) }
            : request.topicNames.map { ($0, .zero) }
        return loop.sequentially(targets) { [services] target -> EventLoopFuture<TopicResult> in
            let name: String
            if let given = target.name {
                name = given
            } else if let topic = services.metadata.snapshot.topic(id: target.id) {
                name = topic.name
            } else {
                return loop.makeSucceededFuture(Self.failed(TopicResult(name: nil, topicId: target.id),
                                                            ApiError(.unknownTopicId, "This server does not host this topic ID.")))
            }
            let named = TopicResult(name: name, topicId: target.id)
            // DELETE on the topic (Kafka answers TOPIC_AUTHORIZATION_FAILED whether it exists or not).
            guard services.authorize(context, .delete, topic: name) else {
                return loop.makeSucceededFuture(Self.failed(named, .topicAuthorizationFailed(name)))
            }
            return services.metadata.deleteTopic(name, on: loop).map { deleted in
                var result = named
                result.topicId = deleted.id
                return result
            }.recover { Self.failed(named, ApiError(wrapping: $0)) }
        }.map { HandlerReply(DeleteTopicsResponse(responses: $0)) }
    }

    private static func failed(_ result: TopicResult, _ error: ApiError) -> TopicResult {
        var result = result
        result.errorCode = error.code.rawValue
        result.errorMessage = error.message
        return result
    }
}
