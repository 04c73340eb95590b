import KafkaProtocol
import NIOCore
import SluiceStorage
import Testing

@testable import SluiceBroker

/// KIP-848 requests through ``GroupHarness``.
extension GroupHarness {
    /// A topic id derived from the name, so that tests can name partitions.
    static func topicId(_ name: String) -> KafkaUUID {
        var high: UInt64 = 0x1234
        for byte in name.utf8 { high = high &* 31 &+ UInt64(byte) }
        return KafkaUUID(high: high, low: UInt64(name.utf8.count))
    }

    /// The cluster now has these topics (name → partitions).
    mutating func setTopics(_ topics: [String: Int32]) {
        topicsVersion += 1
        var t: [String: ConsumerTopics.Topic] = [:]
        for (name, count) in topics { t[name] = .init(id: Self.topicId(name), partitions: count) }
        t[OffsetsTopic.name] = .init(id: Self.topicId(OffsetsTopic.name), partitions: 4, isInternal: true)
        send(.topicsChanged(ConsumerTopics(version: topicsVersion, t)))
    }

    @discardableResult
    mutating func consumerHeartbeat(_ input: ConsumerGroupHeartbeatInput) -> RequestID {
        let id = request()
        send(.consumerHeartbeat(id, input))
        return id
    }

    /// A first join: epoch 0, the subscription, nothing owned.
    mutating func consumerJoin(_ group: String, member: String, topics: [String] = ["t"], regex: String? = nil,
                               instance: String? = nil, assignor: String? = nil) -> ConsumerGroupHeartbeatResult? {
        let id = consumerHeartbeat(ConsumerGroupHeartbeatInput(
            groupId: group, memberId: member, memberEpoch: 0, instanceId: instance, rebalanceTimeoutMs: 30_000,
            subscribedTopicNames: topics, subscribedTopicRegex: regex, serverAssignor: assignor, ownedPartitions: .empty,
            clientId: "client-\(member)", clientHost: "/127.0.0.1"))
        return consumerResult(id)
    }

    /// A regular heartbeat with the member's epoch and what it owns.
    mutating func consumerBeat(_ group: String, member: String, epoch: Int32, owned: TopicPartitionSet?,
                               instance: String? = nil) -> ConsumerGroupHeartbeatResult? {
        // Two statements: in `consumerResult(consumerHeartbeat(...))` self would be read before the
        // heartbeat changed it.
        let id = consumerHeartbeat(ConsumerGroupHeartbeatInput(
            groupId: group, memberId: member, memberEpoch: epoch, instanceId: instance, ownedPartitions: owned,
            clientId: "client-\(member)", clientHost: "/127.0.0.1"))
        return consumerResult(id)
    }

    mutating func consumerLeave(_ group: String, member: String, epoch: Int32 = -1, instance: String? = nil) -> ConsumerGroupHeartbeatResult? {
        let id = consumerHeartbeat(ConsumerGroupHeartbeatInput(
            groupId: group, memberId: member, memberEpoch: epoch, instanceId: instance))
        return consumerResult(id)
    }

    func consumerResult(_ id: RequestID) -> ConsumerGroupHeartbeatResult? {
        guard case let .consumerHeartbeat(r) = responses[id] else { return nil }
        return r
    }

    func describeConsumer(_ group: String) -> ConsumerGroupDescription {
        state.describeConsumerGroup(group)
    }
}

extension TopicPartitionSet {
    /// Partitions of the test topics by name: `.of("t", [0, 1])`.
    static func of(_ topic: String, _ partitions: [Int32]) -> TopicPartitionSet {
        TopicPartitionSet(partitions.map { (GroupHarness.topicId(topic), $0) })
    }

    func partitions(_ topic: String) -> [Int32] { partitions(of: GroupHarness.topicId(topic)).sorted() }
}

/// `#require` for values computed by mutating calls (the macro cannot take those).
func req<T>(_ value: T?, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
