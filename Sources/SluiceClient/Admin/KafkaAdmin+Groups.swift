import KafkaProtocol
import SluiceBase

extension KafkaAdmin {
    /// Every group of the cluster (ListGroups to each broker: each knows the groups it coordinates).
    public func listGroups() async throws -> [GroupListing] {
        let metadata = try await client.metadata(topics: [], refresh: true)
        var groups: [GroupListing] = []
        try await withThrowingTaskGroup(of: [GroupListing].self) { tasks in
            for broker in metadata.sortedBrokers {
                tasks.addTask {
                    // Checked inside the retries: a broker still loading an offsets partition
                    // answers COORDINATOR_LOAD_IN_PROGRESS, which passes (Kafka's AdminClient retries it too).
                    let response = try await self.client.withRetries("ListGroups") {
                        let response = try await self.client.connection(toNode: broker.nodeId).send(ListGroupsRequest())
                        try ErrorCode(response.errorCode).check(resource: "broker \(broker.nodeId)")
                        return response
                    }
                    return response.groups.map {
                        GroupListing(groupId: $0.groupId, protocolType: $0.protocolType, state: $0.groupState,
                                     coordinator: broker.nodeId, type: $0.groupType)
                    }
                }
            }
            for try await part in tasks { groups += part }
        }
        return groups.sorted { $0.groupId < $1.groupId }
    }

    /// Describes groups (state, assignor, members and their assignments); a group that does not
    /// exist comes back in state `Dead` with no members, as Kafka reports it. As librdkafka does,
    /// ConsumerGroupDescribe is asked first (where the broker has it): a consumer group (KIP-848)
    /// comes back with its epochs and each member's target; for a classic group it answers
    /// GROUP_ID_NOT_FOUND, and DescribeGroups is asked.
    public func describeGroups(_ groupIds: [String]) async throws -> [GroupDescription] {
        var result: [GroupDescription] = []
        for groupId in groupIds {
            let coordinator = GroupCoordinator(client: client, groupId: groupId)
            if let described = try await describeConsumerGroup(groupId, coordinator) {
                result.append(described)
                continue
            }
            let response = try await coordinator.send(DescribeGroupsRequest(groups: [groupId], includeAuthorizedOperations: false)) {
                $0.groups.first?.errorCode
            }
            let node = try await coordinator.connection().nodeId ?? -1
            for group in response.groups {
                try ErrorCode(group.errorCode).check(resource: "group '\(group.groupId)'")
                let isConsumer = group.protocolType == "consumer"
                let members = group.members.map { m in
                    GroupMemberDescription(
                        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                        subscribedTopics: isConsumer ? ((try? ConsumerProtocolCodec.decodeSubscription(m.memberMetadata))?.topics ?? []) : [],
                        assignment: isConsumer ? ((try? ConsumerProtocolCodec.decodeAssignment(m.memberAssignment)) ?? []).sorted() : [])
                }.sorted { $0.memberId < $1.memberId }
                result.append(GroupDescription(groupId: group.groupId, state: group.groupState, protocolType: group.protocolType,
                                               protocolName: group.protocolData, members: members, coordinator: node))
            }
        }
        return result
    }

    /// A consumer group (KIP-848) through ConsumerGroupDescribe; nil when the broker does not
    /// have the API or the group is not one.
    private func describeConsumerGroup(_ groupId: String, _ coordinator: GroupCoordinator) async throws -> GroupDescription? {
        guard try await coordinator.connection().version(for: .consumerGroupDescribe) != nil else { return nil }
        let response = try await coordinator.send(ConsumerGroupDescribeRequest(groupIds: [groupId])) {
            $0.groups.first?.errorCode
        }
        guard let group = response.groups.first else { return nil }
        let code = ErrorCode(group.errorCode)
        if code == .groupIdNotFound { return nil }
        try code.check(resource: "group '\(groupId)'", message: group.errorMessage)
        func partitions(_ a: ConsumerGroupDescribeResponse.Assignment) -> [TopicPartition] {
            a.topicPartitions.flatMap { t in t.partitions.map { TopicPartition(t.topicName, $0) } }.sorted()
        }
        let members = group.members.map { m in
            GroupMemberDescription(
                memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost,
                subscribedTopics: m.subscribedTopicNames + (m.subscribedTopicRegex.map { ["/\($0)/"] } ?? []),
                assignment: partitions(m.assignment), memberEpoch: m.memberEpoch,
                targetAssignment: partitions(m.targetAssignment))
        }.sorted { $0.memberId < $1.memberId }
        let node = try await coordinator.connection().nodeId ?? -1
        return GroupDescription(groupId: group.groupId, state: group.groupState, protocolType: "consumer",
                                protocolName: group.assignorName, members: members, coordinator: node, type: "consumer",
                                groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch)
    }

    /// Deletes empty groups (and their committed offsets).
    public func deleteGroups(_ groupIds: [String]) async throws {
        for groupId in groupIds {
            let coordinator = GroupCoordinator(client: client, groupId: groupId)
            let response = try await coordinator.send(DeleteGroupsRequest(groupsNames: [groupId])) { $0.results.first?.errorCode }
            for r in response.results {
                try ErrorCode(r.errorCode).check(resource: "group '\(r.groupId)'")
            }
        }
    }

    /// A group's committed offsets (nil `partitions`: all it has).
    public func groupOffsets(_ groupId: String, partitions: [TopicPartition]? = nil) async throws -> [TopicPartition: CommittedOffset] {
        try await GroupCoordinator(client: client, groupId: groupId).committed(partitions)
    }

    /// Commits offsets for a group that has no active members (Kafka refuses otherwise, with
    /// UNKNOWN_MEMBER_ID or REBALANCE_IN_PROGRESS).
    public func alterGroupOffsets(_ groupId: String, _ offsets: [TopicPartition: Int64]) async throws {
        try await GroupCoordinator(client: client, groupId: groupId).commit(offsets.mapValues { CommittedOffset(offset: $0) })
    }

    /// Committed offset, log end offset and lag for each partition the group has committed or is
    /// assigned (`topics` narrows it; partitions of those topics without commits are included).
    public func groupLag(_ groupId: String, topics: [String]? = nil) async throws -> [PartitionLag] {
        let committed = try await groupOffsets(groupId)
        var owners: [TopicPartition: String] = [:]
        if let description = try await describeGroups([groupId]).first {
            for member in description.members {
                for tp in member.assignment { owners[tp] = member.memberId }
            }
        }
        var partitions = Set(committed.keys).union(owners.keys)
        if let topics {
            partitions = partitions.filter { topics.contains($0.topic) }
            let metadata = try await client.metadata(topics: topics, refresh: true)
            for topic in topics {
                guard let info = metadata.topics[topic] else { continue }
                try info.error.check(resource: "topic '\(topic)'")
                for p in info.partitions { partitions.insert(TopicPartition(topic, p.partition)) }
            }
        }
        // Partitions of deleted topics have commits but no log end: leave them out.
        let metadata = try await client.metadata(topics: Array(Set(partitions.map(\.topic))))
        let live = partitions.filter { metadata.topics[$0.topic]?.partition($0.partition) != nil }
        let ends = try await client.listOffsets(Dictionary(uniqueKeysWithValues: live.map { ($0, OffsetQuery.latest) }))
        return live.sorted().map { tp in
            PartitionLag(topicPartition: tp, committed: committed[tp]?.offset, logEnd: ends[tp] ?? -1, owner: owners[tp])
        }
    }
}
