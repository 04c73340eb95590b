import KafkaProtocol
import NIOCore

/// ConsumerGroupHeartbeat (key 68), versions 0-1: KIP-848's consumer group protocol.
///
/// - v0: join (member epoch 0), heartbeat (the member's epoch, its owned partitions when they
///   changed), leave (-1; -2 for a static member that comes back). v1: `subscribed_topic_regex`
///   (librdkafka sends "" for none, its `^` subscriptions joined as `(^a)|(^b)`).
/// - A join without a member id gets one (librdkafka and Kafka 4.0's Java client make their own).
///   The answer carries the member's epoch, `group.consumer.heartbeat.interval.ms`, and its
///   assignment when it changed or the request was a full one; it waits until the group's
///   records are in `__consumer_offsets`.
/// - Advertised only when `group.coordinator.rebalance.protocols` has `consumer`.
struct ConsumerGroupHeartbeatHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let coordinator: GroupCoordinator
    /// The broker's metadata image (the group resolves topic names and ids against it).
    let image: @Sendable () -> MetadataImage

    func handle(_ request: ConsumerGroupHeartbeatRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<ConsumerGroupHeartbeatResponse>> {
        coordinator.noteTopics(image())
        let input = Self.input(request, version: context.apiVersion, clientId: context.clientId,
                               clientHost: context.clientHost)
        return coordinator.request({ .consumerHeartbeat($0, input) }, on: context.eventLoop).map { response in
            guard case let .consumerHeartbeat(result) = response else {
                return HandlerReply(Self.response(.failure(.unknownServerError)))
            }
            return HandlerReply(Self.response(result))
        }
    }

    static func input(_ request: ConsumerGroupHeartbeatRequest, version: Int16, clientId: String,
                      clientHost: String) -> ConsumerGroupHeartbeatInput {
        var memberId = request.memberId
        if memberId.isEmpty && request.memberEpoch == 0 {
            memberId = KafkaUUID.random().base64
        }
        return ConsumerGroupHeartbeatInput(
            groupId: request.groupId, memberId: memberId, memberEpoch: request.memberEpoch,
            instanceId: request.instanceId, rackId: request.rackId, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            subscribedTopicNames: request.subscribedTopicNames,
            subscribedTopicRegex: version >= 1 ? request.subscribedTopicRegex : nil,
            serverAssignor: request.serverAssignor,
            ownedPartitions: request.topicPartitions.map { topics in
                TopicPartitionSet(topics.flatMap { t in t.partitions.map { (t.topicId, $0) } })
            },
            clientId: clientId, clientHost: clientHost)
    }

    static func response(_ result: ConsumerGroupHeartbeatResult) -> ConsumerGroupHeartbeatResponse {
        ConsumerGroupHeartbeatResponse(
            errorCode: result.error.rawValue,
            errorMessage: result.errorMessage ?? (result.error == .noError ? nil : result.error.message),
            memberId: result.memberId, memberEpoch: result.memberEpoch,
            heartbeatIntervalMs: result.heartbeatIntervalMs,
            assignment: result.assignment.map { set in
                ConsumerGroupHeartbeatResponse.Assignment(topicPartitions: set.topics.keys.sorted(by: KafkaUUID.ordered).map {
                    .init(topicId: $0, partitions: set.partitions(of: $0).sorted())
                })
            })
    }
}
