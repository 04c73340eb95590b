import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// OffsetDelete (key 47), version 0.
///
/// - Removes committed offsets of an empty group, or of topics a consumer group does not
///   subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the others). GROUP_ID_NOT_FOUND for unknown
///   groups; NON_EMPTY_GROUP for active groups of other protocol types.
struct OffsetDeleteHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let coordinator: GroupCoordinator

    func handle(_ request: OffsetDeleteRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<OffsetDeleteResponse>> {
        handle(request, on: context.eventLoop).map { HandlerReply($0) }
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
