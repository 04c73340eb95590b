import Collections
import KafkaProtocol
import SluiceBase

/// The states of a consumer group (KIP-848), with Kafka's names.
public enum ConsumerGroupState: String, Sendable, CaseIterable {
    case empty = "Empty"
    /// The group epoch moved past the target assignment's: a new target is to be computed.
    case assigning = "Assigning"
    /// Members are moving towards the target assignment.
    case reconciling = "Reconciling"
    case stable = "Stable"
}

/// A partition by topic id.
struct TopicIdPartition: Hashable, Sendable {
    var topic: KafkaUUID
    var partition: Int32
}

/// A consumer group of the KIP-848 protocol: the group epoch, the subscribed topics, the target
/// assignment the server-side assignor computed, the members with their reconciliation state,
/// and the group's committed offsets.
///
/// Invariants:
/// - `partitionOwners` holds exactly the members' owned partitions (assigned and pending
///   revocation), each partition under one member only;
/// - `assignmentEpoch <= groupEpoch`; every member's epoch is at most `assignmentEpoch`, except
///   -2 for a static member that left for a while;
/// - `staticMembers` maps the instance id of each static member to its member id.
///
/// Every change is applied in memory at once and written to `__consumer_offsets` in Kafka's
/// records; a request that changed something is answered once its records are written.
struct ConsumerGroup: Sendable {
    let groupId: String
    /// Tells a re-created group from an earlier one of the same id (see ``Group/incarnation``);
    /// kept when the group converts between the classic and the consumer protocol.
    let incarnation: UInt64

    var groupEpoch: Int32 = 0
    var assignmentEpoch: Int32 = 0
    /// In join order.
    var members: OrderedDictionary<String, ConsumerGroupMember> = [:]
    /// Instance id → member id.
    var staticMembers: [String: String] = [:]
    /// The subscribed topics the target assignment was computed from, by name.
    var subscriptionMetadata: [String: ConsumerGroupPartitionMetadataValue.Topic] = [:]
    /// Member id → its partitions in the target assignment.
    var targetAssignment: [String: TopicPartitionSet] = [:]
    /// Who owns each partition now.
    var partitionOwners: [TopicIdPartition: String] = [:]
    /// The ``ConsumerTopics/version`` the subscription metadata was last computed from.
    var topicsVersion: Int64 = -1
    /// Topics each subscribed regex matched at `topicsVersion`.
    var regexMatches: [String: Set<String>] = [:]
    /// When the group last became empty (or was created), for listings.
    var stateTimestamp: Int64
    /// A write failed: memory may be ahead of the log, so the next write carries every record
    /// of the group.
    var needsFullWrite = false

    var offsets: [TopicPartition: OffsetCommitValue] = [:]
    var pendingCommits: [TopicPartition: Int] = [:]

    init(groupId: String, incarnation: UInt64, now: Int64) {
        self.groupId = groupId
        self.incarnation = incarnation
        self.stateTimestamp = now
    }

    var state: ConsumerGroupState {
        if members.isEmpty { return .empty }
        if groupEpoch > assignmentEpoch { return .assigning }
        return members.values.allSatisfy { $0.isReconciled(to: assignmentEpoch) } ? .stable : .reconciling
    }

    /// The assignor members ask for most (ties: the earlier in `configured`), else the first
    /// configured one.
    func preferredAssignor(configured: [ServerAssignor]) -> ServerAssignor {
        var votes: [ServerAssignor: Int] = [:]
        for m in members.values {
            if let name = m.serverAssignor, let a = ServerAssignor.named(name) { votes[a, default: 0] += 1 }
        }
        var best: ServerAssignor?
        var bestVotes = 0
        for assignor in configured where (votes[assignor] ?? 0) > bestVotes {
            best = assignor
            bestVotes = votes[assignor]!
        }
        if let best { return best }
        return configured.first ?? .uniform
    }

    // MARK: Subscriptions

    /// The topic names `member` subscribes to: its names, and what its regex matches.
    func subscribedTopics(of member: ConsumerGroupMember) -> Set<String> {
        var topics = Set(member.subscribedTopicNames)
        if let regex = member.subscribedTopicRegex, let matched = regexMatches[regex] {
            topics.formUnion(matched)
        }
        return topics
    }

    /// Every topic name some member subscribes to.
    var subscribedTopicNames: Set<String> {
        members.values.reduce(into: Set<String>()) { $0.formUnion(subscribedTopics(of: $1)) }
    }

    /// Matches each member's regex against `topics` (non-internal topics whose whole name
    /// matches), once per topics version.
    mutating func refreshRegexMatches(_ topics: ConsumerTopics, force: Bool = false) {
        let regexes = Set(members.values.compactMap(\.subscribedTopicRegex))
        if !force && topicsVersion == topics.version && Set(regexMatches.keys) == regexes { return }
        var matches: [String: Set<String>] = [:]
        for regex in regexes {
            matches[regex] = TopicRegex.matching(regex, in: topics) ?? []
        }
        regexMatches = matches
    }

    /// The subscription metadata the members' subscriptions give against `topics`.
    func computeSubscriptionMetadata(_ topics: ConsumerTopics) -> [String: ConsumerGroupPartitionMetadataValue.Topic] {
        var result: [String: ConsumerGroupPartitionMetadataValue.Topic] = [:]
        for name in subscribedTopicNames {
            guard let t = topics.topic(name) else { continue }
            result[name] = .init(topicId: t.id, topicName: name, numPartitions: t.partitions)
        }
        return result
    }

    // MARK: Ownership

    /// Records `member`'s owned partitions (after removing what it owned before).
    mutating func updateOwnership(from old: ConsumerGroupMember?, to new: ConsumerGroupMember?) {
        if let old {
            for (id, p) in old.ownedPartitions.sortedPairs where partitionOwners[TopicIdPartition(topic: id, partition: p)] == old.memberId {
                partitionOwners.removeValue(forKey: TopicIdPartition(topic: id, partition: p))
            }
        }
        if let new {
            for (id, p) in new.ownedPartitions.sortedPairs {
                partitionOwners[TopicIdPartition(topic: id, partition: p)] = new.memberId
            }
        }
    }

    func isOwned(_ topic: KafkaUUID, _ partition: Int32, byAnotherThan memberId: String) -> Bool {
        guard let owner = partitionOwners[TopicIdPartition(topic: topic, partition: partition)] else { return false }
        return owner != memberId
    }

    // MARK: Records

    var epochRecord: CoordinatorRecord {
        .consumerGroup(.groupMetadata(group: groupId, ConsumerGroupMetadataValue(epoch: groupEpoch)))
    }

    var subscriptionMetadataRecord: CoordinatorRecord {
        let topics = subscriptionMetadata.values.sorted { $0.topicName < $1.topicName }
        return .consumerGroup(.partitionMetadata(group: groupId, ConsumerGroupPartitionMetadataValue(topics: topics)))
    }

    var assignmentEpochRecord: CoordinatorRecord {
        .consumerGroup(.targetAssignmentMetadata(group: groupId, ConsumerGroupTargetAssignmentMetadataValue(assignmentEpoch: assignmentEpoch)))
    }

    func metadataRecord(_ member: ConsumerGroupMember) -> CoordinatorRecord {
        .consumerGroup(.memberMetadata(group: groupId, member: member.memberId, member.metadataValue))
    }

    func currentAssignmentRecord(_ member: ConsumerGroupMember) -> CoordinatorRecord {
        .consumerGroup(.currentAssignment(group: groupId, member: member.memberId, member.assignmentValue))
    }

    func targetRecord(_ memberId: String) -> CoordinatorRecord {
        .consumerGroup(.targetAssignmentMember(group: groupId, member: memberId,
                                               ConsumerGroupTargetAssignmentMemberValue(partitions: targetAssignment[memberId] ?? .empty)))
    }

    /// A removed member's tombstones, in the order Kafka writes them.
    func memberTombstones(_ memberId: String) -> [CoordinatorRecord] {
        [
            .consumerGroup(.currentAssignment(group: groupId, member: memberId, nil)),
            .consumerGroup(.targetAssignmentMember(group: groupId, member: memberId, nil)),
            .consumerGroup(.memberMetadata(group: groupId, member: memberId, nil)),
        ]
    }

    /// Every record that describes the group as it is (a full rewrite).
    var allRecords: [CoordinatorRecord] {
        var records = members.values.map { metadataRecord($0) }
        records.append(subscriptionMetadataRecord)
        records.append(epochRecord)
        records += members.keys.map { targetRecord($0) }
        records.append(assignmentEpochRecord)
        records += members.values.map { currentAssignmentRecord($0) }
        return records
    }

    /// The tombstones that delete the group's own records (not its offsets).
    var deletionTombstones: [CoordinatorRecord] {
        var records = members.keys.flatMap { memberTombstones($0) }
        records.append(.consumerGroup(.targetAssignmentMetadata(group: groupId, nil)))
        records.append(.consumerGroup(.partitionMetadata(group: groupId, nil)))
        records.append(.consumerGroup(.groupMetadata(group: groupId, nil)))
        return records
    }
}
