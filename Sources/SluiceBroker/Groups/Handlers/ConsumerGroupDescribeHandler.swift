import KafkaProtocol
import NIOCore

/// ConsumerGroupDescribe (key 69), version 0 (Kafka 4.0's v1 adds member types, which are not in
/// the message specs Sluice is generated from).
///
/// - Each group: state (Empty, Assigning, Reconciling, Stable), group and assignment epochs, the
///   assignor, and per member its epoch, subscription, current and target assignment (topic ids
///   and names). A classic group or an unknown one gets GROUP_ID_NOT_FOUND, which tells
///   librdkafka 2.16's admin client to describe it with DescribeGroups instead.
/// - The current assignment includes partitions a member is still revoking (Kafka leaves them
///   out), so that current vs target shows what moves both ways.
/// - Advertised only when `group.coordinator.rebalance.protocols` has `consumer`.
struct ConsumerGroupDescribeHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let coordinator: GroupCoordinator
    let image: @Sendable () -> MetadataImage

    func handle(_ request: ConsumerGroupDescribeRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<ConsumerGroupDescribeResponse>> {
        let image = image()
        let groups = request.groupIds.map { groupId in
            Self.describedGroup(coordinator.describeConsumerGroup(groupId), image: image,
                                includeOperations: request.includeAuthorizedOperations)
        }
        return reply(ConsumerGroupDescribeResponse(groups: groups), context)
    }

    static func describedGroup(_ d: ConsumerGroupDescription, image: MetadataImage,
                               includeOperations: Bool) -> ConsumerGroupDescribeResponse.DescribedGroup {
        func assignment(_ set: TopicPartitionSet) -> ConsumerGroupDescribeResponse.Assignment {
            ConsumerGroupDescribeResponse.Assignment(topicPartitions: set.topics.keys.sorted(by: KafkaUUID.ordered).compactMap { id in
                // Partitions of a topic deleted meanwhile are left out, as Kafka does.
                guard let name = image.topicNames[id] else { return nil }
                return .init(topicId: id, topicName: name, partitions: set.partitions(of: id).sorted())
            })
        }
        return ConsumerGroupDescribeResponse.DescribedGroup(
            errorCode: d.error.rawValue, errorMessage: d.errorMessage, groupId: d.groupId, groupState: d.state,
            groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, assignorName: d.assignorName,
            members: d.members.map { m in
                .init(memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch,
                      clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
                      subscribedTopicRegex: m.subscribedTopicRegex, assignment: assignment(m.assignment),
                      targetAssignment: assignment(m.targetAssignment))
            },
            authorizedOperations: includeOperations && d.error == .noError
                ? DescribeGroupsHandler.groupOperations : Int32.min)
    }
}
