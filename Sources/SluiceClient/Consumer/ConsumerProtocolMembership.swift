import KafkaProtocol

/// One consumer's membership of a group under KIP-848's consumer protocol
/// (`group.protocol=consumer`): ConsumerGroupHeartbeat only. The broker computes the assignment;
/// the member heartbeats with its epoch and, when they changed, the partitions it holds, and is
/// told its new assignment, which it reconciles incrementally (``KafkaConsumer`` gives up what is
/// no longer in it first, then takes the rest).
///
/// The member id is the client's own (a random UUID, as KIP-1082 has it) and kept for its life:
/// a member fenced by the coordinator (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID) gives up every
/// partition and rejoins with epoch 0 under the same id.
actor ConsumerProtocolMembership {
    enum Outcome: Sendable, Equatable {
        /// Nothing new: keep what is held.
        case unchanged
        /// The partitions the member may hold now (it gives up the others).
        case assignment(Set<TopicPartition>)
        /// The member lost its membership: give everything up (it rejoins on the next heartbeat).
        case fenced
    }

    let coordinator: GroupCoordinator
    let configuration: ConsumerConfiguration
    let topics: [String]
    let memberId = KafkaUUID.random().base64
    private(set) var epoch: Int32 = 0
    /// How often to heartbeat, as the broker says (`group.consumer.heartbeat.interval.ms`).
    private(set) var heartbeatInterval: Duration = .seconds(3)
    private var lastAssignment: Set<TopicPartition>?
    private var lastSentOwned: Set<TopicPartition>?
    /// After an error or a join, the next heartbeat carries everything.
    private var sendFull = true
    private var left = false

    init(coordinator: GroupCoordinator, configuration: ConsumerConfiguration, topics: [String]) {
        self.coordinator = coordinator
        self.configuration = configuration
        self.topics = topics
    }

    /// What commits carry: the member epoch in place of the generation.
    var identity: (generation: Int32, memberId: String) { (epoch, memberId) }

    /// One ConsumerGroupHeartbeat; `owned` is what the consumer holds now.
    func heartbeat(owned: Set<TopicPartition>) async throws -> Outcome {
        guard !left else { return .unchanged }
        let joining = epoch == 0
        let full = joining || sendFull
        var request = ConsumerGroupHeartbeatRequest(groupId: coordinator.groupId, memberId: memberId, memberEpoch: epoch)
        if full {
            request.rebalanceTimeoutMs = Int32(clamping: configuration.rebalanceTimeout.nanoseconds / 1_000_000)
            request.subscribedTopicNames = topics
            request.serverAssignor = configuration.groupRemoteAssignor
        }
        if joining {
            request.topicPartitions = []
        } else if full || owned != lastSentOwned {
            request.topicPartitions = try await topicIds(owned)
        }
        let sent = request.topicPartitions == nil ? lastSentOwned : (joining ? [] : owned)
        let response: ConsumerGroupHeartbeatResponse
        do {
            response = try await coordinator.send(request, errorCode: { $0.errorCode })
        } catch {
            sendFull = true
            throw error
        }
        switch ErrorCode(response.errorCode) {
        case .noError:
            break
        case .fencedMemberEpoch, .unknownMemberId:
            epoch = 0
            sendFull = true
            lastAssignment = nil
            lastSentOwned = nil
            return .fenced
        case let code:
            sendFull = true
            throw KafkaClientError.broker(code, resource: coordinator.resource, message: response.errorMessage)
        }
        sendFull = false
        lastSentOwned = sent
        epoch = response.memberEpoch
        if response.heartbeatIntervalMs > 0 { heartbeatInterval = .milliseconds(Int64(response.heartbeatIntervalMs)) }
        guard let assignment = response.assignment else { return .unchanged }
        let partitions = try await topicPartitions(assignment.topicPartitions)
        guard partitions != lastAssignment else { return .unchanged }
        lastAssignment = partitions
        return .assignment(partitions)
    }

    /// Leaves the group (epoch -1), so that its partitions move at once.
    func leave() async {
        guard !left else { return }
        left = true
        guard epoch > 0 else { return }
        let request = ConsumerGroupHeartbeatRequest(groupId: coordinator.groupId, memberId: memberId,
                                                    memberEpoch: -1)
        _ = try? await coordinator.send(request, timeout: .seconds(5))
        epoch = -1
    }

    // MARK: Topic ids

    private func topicIds(_ partitions: Set<TopicPartition>) async throws -> [ConsumerGroupHeartbeatRequest.TopicPartitions] {
        guard !partitions.isEmpty else { return [] }
        let metadata = try await coordinator.client.metadata(topics: topics)
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        return byTopic.keys.sorted().compactMap { name in
            guard let id = metadata.topics[name]?.topicId, id != .zero else { return nil }
            return .init(topicId: id, partitions: byTopic[name]!.sorted())
        }
    }

    /// Topic ids to names, asking for fresh metadata when one is unknown (a new topic); ids still
    /// unknown then are left out.
    private func topicPartitions(_ assigned: [ConsumerGroupHeartbeatResponse.TopicPartitions]) async throws -> Set<TopicPartition> {
        func names(_ metadata: ClusterMetadata) -> [KafkaUUID: String] {
            Dictionary(metadata.topics.values.map { ($0.topicId, $0.name) }, uniquingKeysWith: { a, _ in a })
        }
        var known = names(try await coordinator.client.metadata(topics: topics))
        if assigned.contains(where: { known[$0.topicId] == nil }) {
            known = names(try await coordinator.client.metadata(topics: nil, refresh: true))
        }
        var result: Set<TopicPartition> = []
        for t in assigned {
            guard let name = known[t.topicId] else { continue }
            for p in t.partitions { result.insert(TopicPartition(name, p)) }
        }
        return result
    }
}
