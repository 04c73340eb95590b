import KafkaProtocol
import NIOCore

/// ListGroups (key 16), versions 0-5.
///
/// - v0; v1-2: throttle time; v3: flexible; v4: a states filter and each group's state (classic:
///   Empty, PreparingRebalance, CompletingRebalance, Stable; consumer: Empty, Assigning,
///   Reconciling, Stable); v5: a types filter and each group's type (`classic` or `consumer`).
///   Filters are case-insensitive; an unknown value matches nothing.
/// - Groups that only store offsets are listed with an empty protocol type, as in Kafka.
///   COORDINATOR_LOAD_IN_PROGRESS while an offsets partition is still loading.
struct ListGroupsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...5
    let coordinator: GroupCoordinator

    func handle(_ request: ListGroupsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<ListGroupsResponse>> {
        reply(handle(request, version: context.apiVersion), context)
    }

    func handle(_ request: ListGroupsRequest, version: Int16) -> ListGroupsResponse {
        let (error, groups) = coordinator.listGroups(states: version >= 4 ? request.statesFilter : [],
                                                     types: version >= 5 ? request.typesFilter : [])
        return ListGroupsResponse(errorCode: error.rawValue, groups: groups.map {
            .init(groupId: $0.groupId, protocolType: $0.protocolType, groupState: $0.state, groupType: $0.type)
        })
    }
}
