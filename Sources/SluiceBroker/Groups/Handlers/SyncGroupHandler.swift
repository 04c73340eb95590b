import KafkaProtocol
import SluiceSecurity
import NIOCore

/// SyncGroup (key 14), versions 0-5.
///
/// - v0; v1-2: throttle time; v3: `group_instance_id`; v4: flexible; v5: protocol type and name
///   in the request (INCONSISTENT_GROUP_PROTOCOL when they differ from the group's) and the
///   response.
/// - The leader's assignments are written to `__consumer_offsets` before anyone gets theirs;
///   each member's assignment comes back byte for byte.
struct SyncGroupHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...5

    func handle(_ request: SyncGroupRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<SyncGroupResponse>> {
        guard access(context, .read, .group(request.groupId)) else {
            return reply(Self.response(SyncGroupResult(error: .groupAuthorizationFailed)), context)
        }
        return handle(request, version: context.apiVersion, on: context.eventLoop).map { HandlerReply($0) }
    }

    func handle(_ request: SyncGroupRequest, version: Int16, on eventLoop: any EventLoop) -> EventLoopFuture<SyncGroupResponse> {
        let input = Self.input(request, version: version)
        return coordinator.request({ .sync($0, input) }, on: eventLoop).map { response in
            guard case let .sync(result) = response else { return Self.response(SyncGroupResult(error: .unknownServerError)) }
            return Self.response(result)
        }
    }

    static func input(_ request: SyncGroupRequest, version: Int16) -> SyncGroupInput {
        var assignments: [String: ByteBuffer] = [:]
        for a in request.assignments where assignments[a.memberId] == nil {
            assignments[a.memberId] = a.assignment
        }
        return SyncGroupInput(
            groupId: request.groupId, generationId: request.generationId, memberId: request.memberId,
            groupInstanceId: version >= 3 ? request.groupInstanceId : nil,
            protocolType: version >= 5 ? request.protocolType : nil,
            protocolName: version >= 5 ? request.protocolName : nil, assignments: assignments)
    }

    static func response(_ result: SyncGroupResult) -> SyncGroupResponse {
        SyncGroupResponse(errorCode: result.error.rawValue, protocolType: result.protocolType,
                          protocolName: result.protocolName, assignment: result.assignment)
    }
}
