import KafkaProtocol
import SluiceSecurity
import NIOCore

/// DescribeGroups (key 15), versions 0-5.
///
/// - v0; v1-2: throttle time; v3: authorized operations when asked (no authorizer: everything a
///   group allows, READ, DELETE and DESCRIBE); v4: members' `group_instance_id`; v5: flexible.
/// - As in Kafka, member metadata and assignments (returned byte for byte) are filled in only for
///   a stable group, and an unknown group is described as `Dead` with no error.
struct DescribeGroupsHandler: ApiHandler {
    let coordinator: GroupCoordinator
    /// Authorization (Kafka's checks on this API).
    var access = RequestAuthorization.allowAll
    static let versions: ClosedRange<Int16> = 0...5

    /// READ (3), DELETE (6) and DESCRIBE (8) as Kafka's ACL operation bits.
    static let groupOperations: Int32 = (1 << 3) | (1 << 6) | (1 << 8)

    func handle(_ request: DescribeGroupsRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeGroupsResponse>> {
        var response = handle(request, version: context.apiVersion)
        // DESCRIBE on each group; authorized operations are the principal's.
        for index in response.groups.indices {
            let group = AclResource.group(response.groups[index].groupId)
            if !access(context, .describe, group) {
                response.groups[index] = .init(errorCode: ErrorCode.groupAuthorizationFailed.rawValue,
                                               groupId: response.groups[index].groupId, groupState: "", protocolType: "",
                                               protocolData: "", members: [], authorizedOperations: Int32.min)
            } else if context.apiVersion >= 3 && request.includeAuthorizedOperations {
                response.groups[index].authorizedOperations = access.operations(context, group)
            }
        }
        return reply(response, context)
    }

    func handle(_ request: DescribeGroupsRequest, version: Int16) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: request.groups.map { groupId in
            let d = coordinator.describeGroup(groupId)
            return .init(
                errorCode: d.error.rawValue, groupId: groupId, groupState: d.state, protocolType: d.protocolType,
                protocolData: d.protocolName,
                members: d.members.map {
                    .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                          clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                },
                authorizedOperations: version >= 3 && request.includeAuthorizedOperations
                    ? Self.groupOperations : Int32.min)
        })
    }
}
