import KafkaProtocol
import SluiceSecurity
import NIOCore

/// Heartbeat (key 12), versions 0-4.
///
/// - v0; v1-2: throttle time; v3: `group_instance_id`; v4: flexible.
/// - REBALANCE_IN_PROGRESS tells a member to rejoin; ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and
///   FENCED_INSTANCE_ID that it is no longer a member of the current generation.
struct HeartbeatHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...4

    func handle(_ request: HeartbeatRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<HeartbeatResponse>> {
        guard access(context, .read, .group(request.groupId)) else {
            return reply(HeartbeatResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue), context)
        }
        return handle(request, version: context.apiVersion, on: context.eventLoop).map { HandlerReply($0) }
    }

    func handle(_ request: HeartbeatRequest, version: Int16, on eventLoop: any EventLoop) -> EventLoopFuture<HeartbeatResponse> {
        let input = HeartbeatInput(groupId: request.groupId, generationId: request.generationId,
                                   memberId: request.memberId,
                                   groupInstanceId: version >= 3 ? request.groupInstanceId : nil)
        return coordinator.request({ .heartbeat($0, input) }, on: eventLoop).map { response in
            guard case let .heartbeat(error) = response else { return HeartbeatResponse(errorCode: ErrorCode.unknownServerError.rawValue) }
            return HeartbeatResponse(errorCode: error.rawValue)
        }
    }
}
