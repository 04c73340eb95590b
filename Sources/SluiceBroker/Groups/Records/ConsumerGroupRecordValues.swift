import KafkaProtocol
import NIOCore

// The values of KIP-848's consumer group records in `__consumer_offsets`, written by hand from
// Kafka's schemas (group-coordinator `ConsumerGroup*Value`). Every one is version 0 and flexible:
// an int16 version, then compact strings and arrays, a tagged-field section after each struct.
// Later versions are read with the version 0 layout (Kafka adds fields to them only as tagged
// fields), and unknown tagged fields are skipped.

/// `ConsumerGroupMetadataValue`: the group epoch.
public struct ConsumerGroupMetadataValue: Hashable, Sendable {
    public var epoch: Int32

    public init(epoch: Int32) { self.epoch = epoch }

    init(fieldsFrom r: inout WireReader) throws {
        epoch = try r.readInt32()
        _ = try r.readTaggedFields { _, _ in false }
    }

    func encode(to w: inout WireWriter) {
        w.writeInt32(epoch)
        w.writeTaggedFields([], unknown: [])
    }
}

/// `ConsumerGroupPartitionMetadataValue`: the topics the group subscribes to, with their ids and
/// partition counts when they were last looked at. A change bumps the group epoch.
public struct ConsumerGroupPartitionMetadataValue: Hashable, Sendable {
    public struct Topic: Hashable, Sendable {
        public var topicId: KafkaUUID
        public var topicName: String
        public var numPartitions: Int32

        public init(topicId: KafkaUUID, topicName: String, numPartitions: Int32) {
            self.topicId = topicId
            self.topicName = topicName
            self.numPartitions = numPartitions
        }
    }

    /// Sorted by name.
    public var topics: [Topic]

    public init(topics: [Topic]) { self.topics = topics }

    init(fieldsFrom r: inout WireReader) throws {
        topics = try r.readArray(compact: true, field: "topics") { r in
            let id = try r.readUUID()
            let name = try r.readString(compact: true, field: "topicName")
            let count = try r.readInt32()
            // Per-partition racks (deprecated in Kafka 4.0); Sluice writes none.
            _ = try r.readArray(compact: true, field: "partitionMetadata") { r in
                _ = try r.readInt32()
                _ = try r.readArray(compact: true, field: "racks") { try $0.readString(compact: true) }
                _ = try r.readTaggedFields { _, _ in false }
            }
            _ = try r.readTaggedFields { _, _ in false }
            return Topic(topicId: id, topicName: name, numPartitions: count)
        }
        _ = try r.readTaggedFields { _, _ in false }
    }

    func encode(to w: inout WireWriter) {
        w.writeArray(topics, compact: true) { w, t in
            w.writeUUID(t.topicId)
            w.writeString(t.topicName, compact: true)
            w.writeInt32(t.numPartitions)
            w.writeArrayCount(0, compact: true)
            w.writeTaggedFields([], unknown: [])
        }
        w.writeTaggedFields([], unknown: [])
    }
}

/// `ConsumerGroupMemberMetadataValue`: a member's identity and subscription.
public struct ConsumerGroupMemberMetadataValue: Hashable, Sendable {
    public var instanceId: String?
    public var rackId: String?
    public var clientId: String
    public var clientHost: String
    public var subscribedTopicNames: [String]
    public var subscribedTopicRegex: String?
    public var rebalanceTimeoutMs: Int32
    public var serverAssignor: String?

    public init(instanceId: String? = nil, rackId: String? = nil, clientId: String, clientHost: String,
                subscribedTopicNames: [String], subscribedTopicRegex: String? = nil, rebalanceTimeoutMs: Int32,
                serverAssignor: String? = nil) {
        self.instanceId = instanceId
        self.rackId = rackId
        self.clientId = clientId
        self.clientHost = clientHost
        self.subscribedTopicNames = subscribedTopicNames
        self.subscribedTopicRegex = subscribedTopicRegex
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.serverAssignor = serverAssignor
    }

    init(fieldsFrom r: inout WireReader) throws {
        instanceId = try r.readNullableString(compact: true)
        rackId = try r.readNullableString(compact: true)
        clientId = try r.readString(compact: true, field: "clientId")
        clientHost = try r.readString(compact: true, field: "clientHost")
        subscribedTopicNames = try r.readArray(compact: true, field: "subscribedTopicNames") {
            try $0.readString(compact: true)
        }
        subscribedTopicRegex = try r.readNullableString(compact: true)
        rebalanceTimeoutMs = try r.readInt32()
        serverAssignor = try r.readNullableString(compact: true)
        // Tag 0 is the metadata of a member using the classic protocol inside a consumer group,
        // which Sluice does not have: skipped.
        _ = try r.readTaggedFields { _, _ in false }
    }

    func encode(to w: inout WireWriter) {
        w.writeNullableString(instanceId, compact: true)
        w.writeNullableString(rackId, compact: true)
        w.writeString(clientId, compact: true)
        w.writeString(clientHost, compact: true)
        w.writeArray(subscribedTopicNames, compact: true) { $0.writeString($1, compact: true) }
        w.writeNullableString(subscribedTopicRegex, compact: true)
        w.writeInt32(rebalanceTimeoutMs)
        w.writeNullableString(serverAssignor, compact: true)
        w.writeTaggedFields([], unknown: [])
    }
}

/// `ConsumerGroupTargetAssignmentMetadataValue`: the epoch of the group's target assignment.
public struct ConsumerGroupTargetAssignmentMetadataValue: Hashable, Sendable {
    public var assignmentEpoch: Int32

    public init(assignmentEpoch: Int32) { self.assignmentEpoch = assignmentEpoch }

    init(fieldsFrom r: inout WireReader) throws {
        assignmentEpoch = try r.readInt32()
        _ = try r.readTaggedFields { _, _ in false }
    }

    func encode(to w: inout WireWriter) {
        w.writeInt32(assignmentEpoch)
        w.writeTaggedFields([], unknown: [])
    }
}

/// `ConsumerGroupTargetAssignmentMemberValue`: the partitions the assignor gave a member.
public struct ConsumerGroupTargetAssignmentMemberValue: Hashable, Sendable {
    public var partitions: TopicPartitionSet

    public init(partitions: TopicPartitionSet) { self.partitions = partitions }

    init(fieldsFrom r: inout WireReader) throws {
        partitions = try Self.readPartitions(&r)
        _ = try r.readTaggedFields { _, _ in false }
    }

    func encode(to w: inout WireWriter) {
        Self.writePartitions(partitions, &w)
        w.writeTaggedFields([], unknown: [])
    }

    /// `[TopicPartitions]`: a topic id and its partitions, tagged fields after each.
    static func readPartitions(_ r: inout WireReader) throws -> TopicPartitionSet {
        var set = TopicPartitionSet()
        _ = try r.readArray(compact: true, field: "topicPartitions") { r in
            let id = try r.readUUID()
            for p in try r.readArray(compact: true, field: "partitions", { try $0.readInt32() }) { set.insert(id, p) }
            _ = try r.readTaggedFields { _, _ in false }
        }
        return set
    }

    static func writePartitions(_ set: TopicPartitionSet, _ w: inout WireWriter) {
        let ids = set.topics.keys.sorted(by: KafkaUUID.ordered)
        w.writeArray(ids, compact: true) { w, id in
            w.writeUUID(id)
            w.writeArray(set.partitions(of: id).sorted(), compact: true) { $0.writeInt32($1) }
            w.writeTaggedFields([], unknown: [])
        }
    }
}

/// `ConsumerGroupCurrentMemberAssignmentValue`: where a member's reconciliation stands.
public struct ConsumerGroupCurrentMemberAssignmentValue: Hashable, Sendable {
    public var memberEpoch: Int32
    public var previousMemberEpoch: Int32
    /// Kafka's `MemberState` byte: 0 stable, 1 unrevoked partitions, 2 unreleased partitions.
    public var state: Int8
    public var assignedPartitions: TopicPartitionSet
    public var partitionsPendingRevocation: TopicPartitionSet

    public init(memberEpoch: Int32, previousMemberEpoch: Int32, state: Int8, assignedPartitions: TopicPartitionSet,
                partitionsPendingRevocation: TopicPartitionSet) {
        self.memberEpoch = memberEpoch
        self.previousMemberEpoch = previousMemberEpoch
        self.state = state
        self.assignedPartitions = assignedPartitions
        self.partitionsPendingRevocation = partitionsPendingRevocation
    }

    init(fieldsFrom r: inout WireReader) throws {
        memberEpoch = try r.readInt32()
        previousMemberEpoch = try r.readInt32()
        state = try r.readInt8()
        assignedPartitions = try ConsumerGroupTargetAssignmentMemberValue.readPartitions(&r)
        partitionsPendingRevocation = try ConsumerGroupTargetAssignmentMemberValue.readPartitions(&r)
        _ = try r.readTaggedFields { _, _ in false }
    }

    func encode(to w: inout WireWriter) {
        w.writeInt32(memberEpoch)
        w.writeInt32(previousMemberEpoch)
        w.writeInt8(state)
        ConsumerGroupTargetAssignmentMemberValue.writePartitions(assignedPartitions, &w)
        ConsumerGroupTargetAssignmentMemberValue.writePartitions(partitionsPendingRevocation, &w)
        w.writeTaggedFields([], unknown: [])
    }
}
