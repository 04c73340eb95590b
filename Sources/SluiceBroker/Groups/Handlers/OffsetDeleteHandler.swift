import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceBase
import SluiceStorage

/// OffsetDelete (key 47), version 0.
///
/// - Removes committed offsets of an empty group, or of topics a consumer group does not
///   subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others). GROUP_ID_NOT_FOUND for unknown
///   groups; NON_EMPTY_GROUP for active groups of other protocol types.
struct OffsetDeleteHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...0

    func handle(_ request: OffsetDeleteRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<OffsetDeleteResponse>> {
        // DELETE on the group; READ on each topic (TOPIC_AUTHORIZATION_FAILED, its offsets kept).
        guard access(context, .delete, .group(request.groupId)) else {
            return reply(OffsetDeleteResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue), context)
        }
        let denied = Set(request.topics.map(\.name).filter { !access(context, .read, .topic($0)) })
        guard !denied.isEmpty else { return handle(request, on: context.eventLoop).map { HandlerReply($0) } }
        var allowedRequest = request
        allowedRequest.topics = request.topics.filter { !denied.contains($0.name) }
        return handle(allowedRequest, on: context.eventLoop).map { allowed in
            var response = allowed
            if response.errorCode == 0 {
                response.topics = request.topics.map { topic in
                    if let found = allowed.topics.first(where: { $0.name == topic.name }), !denied.contains(topic.name) { return found }
                    return .init(name: topic.name, partitions: topic.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
                    })
                }
            }
            return HandlerReply(response)
        }
    }

    func handle(_ request: OffsetDeleteRequest, on eventLoop: any EventLoop) -> EventLoopFuture<OffsetDeleteResponse> {
        let partitions = request.topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0.partitionIndex) } }
        let input = OffsetDeleteInput(groupId: request.groupId, partitions: partitions)
        return coordinator.request({ .deleteOffsets($0, input) }, on: eventLoop).map { response in
            guard case let .deleteOffsets(result) = response else {
                return OffsetDeleteResponse(errorCode: ErrorCode.unknownServerError.rawValue)
            }
            if result.error != .noError {
                return OffsetDeleteResponse(errorCode: result.error.rawValue)
            }
            return OffsetDeleteResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { p in
                    .init(partitionIndex: p.partitionIndex,
                          errorCode: (result.partitions[TopicPartition(t.name, p.partitionIndex)] ?? .noError).rawValue)
                })
            })
        }
    }
}
