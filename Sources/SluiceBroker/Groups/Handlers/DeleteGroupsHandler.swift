import KafkaProtocol
import SluiceSecurity
import NIOCore

/// DeleteGroups (key 42), versions 0-2.
///
/// - v0-1; v2: flexible. Each group: NONE once its offsets and metadata are tombstoned in
///   `__consumer_offsets`; NON_EMPTY_GROUP while it has members; GROUP_ID_NOT_FOUND when unknown.
struct DeleteGroupsHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...2

    func handle(_ request: DeleteGroupsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteGroupsResponse>> {
        // DELETE on each group: the refused ones are answered here, the others deleted.
        var allowedRequest = request
        allowedRequest.groupsNames = request.groupsNames.filter { access(context, .delete, .group($0)) }
        return handle(allowedRequest, on: context.eventLoop).map { allowed in
            var byGroup: [String: DeleteGroupsResponse.DeletableGroupResult] = [:]
            for result in allowed.results { byGroup[result.groupId] = result }
            return HandlerReply(DeleteGroupsResponse(results: request.groupsNames.map {
                byGroup[$0] ?? .init(groupId: $0, errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
            }))
        }
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
