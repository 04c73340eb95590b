import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// How the broker hosts the group coordinator: `__consumer_offsets` created on demand, its
/// partitions loaded at start-up, the group handlers registered.
extension BrokerServices {
    /// The brokers `__consumer_offsets` can be replicated to: the unfenced brokers of the cluster
    /// (the topic's replication factor is capped at this, as Kafka caps it).
    var offsetsTopicBrokerCount: Int16 {
        Int16(clamping: max(1, metadata.snapshot.brokers.values.filter { !$0.fenced }.count))
    }

    /// At start-up: the coordinator follows the leaderships of the `__consumer_offsets`
    /// partitions as the metadata log assigns them (``GroupCoordinatorListener``).
    func resumeGroups() {
        cluster.addPartitionListener(GroupCoordinatorListener(groups: groups))
    }

    /// `__consumer_offsets`, created first if it does not exist (as Kafka does when a client
    /// first looks for a coordinator), with `offsets.topic.num.partitions` partitions,
    /// `offsets.topic.replication.factor` capped at the brokers available, compaction and
    /// `offsets.topic.segment.bytes`. The creation is forwarded to the controller; the future
    /// completes on `loop` (COORDINATOR_NOT_AVAILABLE when the topic could not be created).
    func ensureOffsetsTopic(on loop: any EventLoop) -> EventLoopFuture<TopicImage> {
        if let topic = metadata.topic(OffsetsTopic.name) { return loop.makeSucceededFuture(topic) }
        let config = groups.config
        let creation = TopicCreation(
            name: OffsetsTopic.name, numPartitions: config.offsetsTopicPartitions,
            replicationFactor: min(config.offsetsTopicReplicationFactor, offsetsTopicBrokerCount),
            configs: OffsetsTopic.topicConfigs(segmentBytes: config.offsetsTopicSegmentBytes))
        return metadata.createTopic(creation, on: loop).map { _ in () }.flatMapError { error in
            // Created meanwhile by another request.
            if let error = error as? ApiError, error.code == .topicAlreadyExists { return loop.makeSucceededVoidFuture() }
            return loop.makeFailedFuture(error)
        }.flatMapThrowing { [metadata] in
            // Leaderships reach the coordinator through its partition listener.
            guard let topic = metadata.topic(OffsetsTopic.name) else {
                throw ApiError(.coordinatorNotAvailable, "\(OffsetsTopic.name) could not be created")
            }
            return topic
        }
    }

    /// Whether a topic partition exists (offset commits for others are refused).
    func partitionExists(_ tp: TopicPartition) -> Bool {
        guard let topic = metadata.topic(tp.topic) else { return false }
        return tp.partition >= 0 && Int(tp.partition) < topic.partitions.count
    }
}

extension HandlerRegistry {
    /// The group coordinator's APIs. ConsumerGroupHeartbeat (68) and ConsumerGroupDescribe (69),
    /// the KIP-848 protocol, only when `group.coordinator.rebalance.protocols` has `consumer`
    /// (without them librdkafka 2.16 falls back to the classic protocol for admin calls, and a
    /// `group.protocol=consumer` consumer fails).
    mutating func registerGroupHandlers(services: BrokerServices) {
        let coordinator = services.groups
        register(FindCoordinatorHandler(services: services))
        register(JoinGroupHandler(coordinator: coordinator))
        register(SyncGroupHandler(coordinator: coordinator))
        register(HeartbeatHandler(coordinator: coordinator))
        register(LeaveGroupHandler(coordinator: coordinator))
        register(OffsetCommitHandler(coordinator: coordinator, partitionExists: { [services] in services.partitionExists($0) }))
        register(OffsetFetchHandler(coordinator: coordinator))
        register(ListGroupsHandler(coordinator: coordinator))
        register(DescribeGroupsHandler(coordinator: coordinator))
        register(DeleteGroupsHandler(coordinator: coordinator))
        register(OffsetDeleteHandler(coordinator: coordinator))
        if coordinator.config.consumerProtocolEnabled {
            let image: @Sendable () -> MetadataImage = { [services] in services.metadata.snapshot }
            register(ConsumerGroupHeartbeatHandler(coordinator: coordinator, image: image))
            register(ConsumerGroupDescribeHandler(coordinator: coordinator, image: image))
        }
    }
}

extension RequestContext {
    /// The client's id from the request header ("" when null).
    var clientId: String { header.clientId ?? "" }

    /// The client's address as Kafka shows it in DescribeGroups: `/` and the IP address.
    var clientHost: String {
        // NIO describes addresses as "[IPv4]host/ip:port" or "[IPv6]host/ip:port".
        let text = clientAddress
        guard let slash = text.firstIndex(of: "/"), let colon = text.lastIndex(of: ":"), slash < colon else {
            return "/" + text
        }
        return String(text[slash..<colon])
    }
}
