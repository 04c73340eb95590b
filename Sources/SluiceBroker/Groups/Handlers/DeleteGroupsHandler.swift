import KafkaProtocol
import NIOCore

/// DeleteGroups (key 42), versions 0-2.
///
/// - v0-1; v2: flexible. Each group: NONE once its offsets and metadata are tombstoned in
///   `__consumer_offsets`; NON_EMPTY_GROUP while it has members; GROUP_ID_NOT_FOUND when unknown.
struct DeleteGroupsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2
    let coordinator: GroupCoordinator

    func handle(_ request: DeleteGroupsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteGroupsResponse>> {
        handle(request, on: context.eventLoop).map { HandlerReply($0) }
    }

    func handle(_ request: DeleteGroupsRequest, on eventLoop: any EventLoop) -> EventLoopFuture<DeleteGroupsResponse> {
        let futures = request.groupsNames.map { groupId in
            coordinator.request({ .deleteGroup($0, groupId: groupId) }, on: eventLoop).map { response in
                guard case let .deleteGroup(error) = response else { return ErrorCode.unknownServerError }
                return error
            }
        }
        return EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { errors in
            DeleteGroupsResponse(results: zip(request.groupsNames, errors).map {
                .init(groupId: $0, errorCode: $1.rawValue)
            })
        }
    }
}
