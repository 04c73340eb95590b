import Foundation
import KafkaProtocol
import SluiceSecurity
import NIOCore

/// JoinGroup (key 11), versions 0-9.
///
/// - v0: no rebalance timeout (the session timeout stands in). v1: rebalance timeout. v2-3:
///   throttle time. v4: a new dynamic member first gets MEMBER_ID_REQUIRED with its member id
///   (KIP-394). v5: `group_instance_id` (static membership, FENCED_INSTANCE_ID). v6: flexible.
///   v7: protocol type in the response, protocol name nullable. v8: a reason (logged by Kafka,
///   ignored here). v9: `skip_assignment` for a static leader rejoining a stable group.
/// - Member metadata is returned to the leader byte for byte.
struct JoinGroupHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...9

    func handle(_ request: JoinGroupRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<JoinGroupResponse>> {
        guard access(context, .read, .group(request.groupId)) else {
            return reply(Self.response(.failure(.groupAuthorizationFailed, memberId: ""), version: context.apiVersion), context)
        }
        return handle(request, version: context.apiVersion, clientId: context.clientId, clientHost: context.clientHost,
               on: context.eventLoop).map { HandlerReply($0) }
    }

    func handle(_ request: JoinGroupRequest, version: Int16, clientId: String, clientHost: String,
                on eventLoop: any EventLoop) -> EventLoopFuture<JoinGroupResponse> {
        let input = Self.input(request, version: version, clientId: clientId, clientHost: clientHost,
                               memberIdSuffix: UUID().uuidString.lowercased())
        return coordinator.request({ .join($0, input) }, on: eventLoop).map { response in
            guard case let .join(result) = response else { return Self.response(.failure(.unknownServerError, memberId: ""), version: version) }
            return Self.response(result, version: version)
        }
    }

    static func input(_ request: JoinGroupRequest, version: Int16, clientId: String, clientHost: String,
                      memberIdSuffix: String) -> JoinGroupInput {
        JoinGroupInput(
            groupId: request.groupId, memberId: request.memberId,
            groupInstanceId: version >= 5 ? request.groupInstanceId : nil,
            clientId: clientId, clientHost: clientHost, sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) },
            requireKnownMemberId: version >= 4, supportsSkipAssignment: version >= 9, memberIdSuffix: memberIdSuffix)
    }

    static func response(_ result: JoinGroupResult, version: Int16) -> JoinGroupResponse {
        JoinGroupResponse(
            errorCode: result.error.rawValue, generationId: result.generationId, protocolType: result.protocolType,
            protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ""),
            leader: result.leaderId, skipAssignment: result.skipAssignment, memberId: result.memberId,
            members: result.members.map {
                .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata)
            })
    }
}
