import KafkaProtocol
import SluiceSecurity
import NIOCore

/// LeaveGroup (key 13), versions 0-5.
///
/// - v0-2: one member id; the response's error is that member's. v3: a batch of members, each
///   by member id and instance id (an empty member id removes a static member by its instance
///   id: KIP-345's admin removal), each with its own error. v4: flexible. v5: a reason per member.
struct LeaveGroupHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...5

    func handle(_ request: LeaveGroupRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<LeaveGroupResponse>> {
        guard access(context, .read, .group(request.groupId)) else {
            return reply(LeaveGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue), context)
        }
        return handle(request, version: context.apiVersion, on: context.eventLoop).map { HandlerReply($0) }
    }

    func handle(_ request: LeaveGroupRequest, version: Int16, on eventLoop: any EventLoop) -> EventLoopFuture<LeaveGroupResponse> {
        let input = Self.input(request, version: version)
        return coordinator.request({ .leave($0, input) }, on: eventLoop).map { response in
            guard case let .leave(result) = response else {
                return Self.response(LeaveGroupResult(error: .unknownServerError, members: []), version: version)
            }
            return Self.response(result, version: version)
        }
    }

    static func input(_ request: LeaveGroupRequest, version: Int16) -> LeaveGroupInput {
        let members = version >= 3
            ? request.members.map { LeavingMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId) }
            : [LeavingMember(memberId: request.memberId)]
        return LeaveGroupInput(groupId: request.groupId, members: members)
    }

    static func response(_ result: LeaveGroupResult, version: Int16) -> LeaveGroupResponse {
        if version < 3 {
            let error = result.error != .noError ? result.error : (result.members.first?.error ?? .noError)
            return LeaveGroupResponse(errorCode: error.rawValue)
        }
        return LeaveGroupResponse(errorCode: result.error.rawValue, members: result.members.map {
            .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: $0.error.rawValue)
        })
    }
}
