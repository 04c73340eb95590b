import KafkaProtocol
import NIOCore
import SluiceStorage

/// DeleteTopics (key 20), versions 0-6.
///
/// - v0-3: topics by name. v4+: flexible. v5+: error messages. v6: topics by name or by id
///   (`topics` replaces `topic_names`); an unknown id gives UNKNOWN_TOPIC_ID.
/// - An unknown name gives UNKNOWN_TOPIC_OR_PARTITION; `delete.topic.enable=false` gives
///   TOPIC_DELETION_DISABLED. The metadata change is persisted before the logs are removed.
struct DeleteTopicsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...6
    let services: BrokerServices

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteTopicsResponse>> {
        let version = context.apiVersion
        return services.offLoop(context) { [services] in
            let targets: [(name: String?, id: KafkaUUID)] = version >= 6
                ? request.topics.map { ($0.name, $0.topicId) }
                : request.topicNames.map { ($0, .zero) }
            var response = DeleteTopicsResponse()
            for target in targets {
                var result = DeleteTopicsResponse.DeletableTopicResult(name: target.name, topicId: target.id)
                do {
                    let name: String
                    if let given = target.name {
                        name = given
                    } else if let topic = services.metadata.snapshot.topic(id: target.id) {
                        name = topic.name
                        result.name = name
                    } else {
                        throw ApiError(.unknownTopicId, "This server does not host this topic ID.")
                    }
                    let deleted = try services.metadata.deleteTopic(name)
                    result.topicId = deleted.id
                } catch let error as ApiError {
                    result.errorCode = error.code.rawValue
                    result.errorMessage = error.message
                } catch {
                    result.errorCode = ErrorCode.unknownServerError.rawValue
                    result.errorMessage = "\(error)"
                }
                response.responses.append(result)
            }
            return HandlerReply(response)
        }
    }
}
