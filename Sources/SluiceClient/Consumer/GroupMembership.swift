import KafkaProtocol
import NIOCore
import SluiceBase

/// One consumer's membership of a group under the classic protocol (eager rebalancing):
/// JoinGroup (with the MEMBER_ID_REQUIRED round trip of v4+), the leader's assignment with one of
/// ``Assignors``, SyncGroup, Heartbeat, LeaveGroup.
actor GroupMembership {
    enum HeartbeatOutcome: Sendable { case stable, rebalance }

    let coordinator: GroupCoordinator
    let configuration: ConsumerConfiguration
    let topics: [String]
    private(set) var memberId = ""
    private(set) var generation: Int32 = -1
    private(set) var isLeader = false

    init(coordinator: GroupCoordinator, configuration: ConsumerConfiguration, topics: [String]) {
        self.coordinator = coordinator
        self.configuration = configuration
        self.topics = topics
    }

    var identity: (generation: Int32, memberId: String) { (generation, memberId) }

    /// Joins the group (again) and returns this member's partitions.
    func join() async throws -> [TopicPartition] {
        let metadata = ConsumerProtocolCodec.encodeSubscription(topics: topics)
        let protocols = configuration.assignmentStrategies.map {
            JoinGroupRequest.JoinGroupRequestProtocol(name: $0.rawValue, metadata: metadata)
        }
        let ms = { (d: Duration) in Int32(clamping: d.nanoseconds / 1_000_000) }
        var attempt = 0
        while true {
            attempt += 1
            guard attempt <= 20 else {
                throw KafkaClientError(.timeout, "could not complete a rebalance after \(attempt - 1) attempts", resource: coordinator.resource)
            }
            let join = try await coordinator.send(
                JoinGroupRequest(groupId: coordinator.groupId, sessionTimeoutMs: ms(configuration.sessionTimeout),
                                 rebalanceTimeoutMs: ms(configuration.rebalanceTimeout), memberId: memberId,
                                 groupInstanceId: nil, protocolType: "consumer", protocols: protocols, reason: nil),
                timeout: configuration.rebalanceTimeout + .seconds(5), errorCode: { $0.errorCode })
            switch ErrorCode(join.errorCode) {
            case .noError:
                break
            case .memberIdRequired:
                memberId = join.memberId
                continue
            case .unknownMemberId, .illegalGeneration:
                memberId = ""
                continue
            case .rebalanceInProgress:
                continue
            case let code:
                throw KafkaClientError.broker(code, resource: coordinator.resource)
            }
            memberId = join.memberId
            generation = join.generationId
            isLeader = join.leader == join.memberId
            var assignments: [SyncGroupRequest.SyncGroupRequestAssignment] = []
            if isLeader {
                assignments = try await assign(members: join.members, protocolName: join.protocolName ?? "")
            }
            let sync = try await coordinator.send(
                SyncGroupRequest(groupId: coordinator.groupId, generationId: generation, memberId: memberId,
                                 groupInstanceId: nil, protocolType: "consumer", protocolName: join.protocolName,
                                 assignments: assignments),
                timeout: configuration.rebalanceTimeout + .seconds(5), errorCode: { $0.errorCode })
            switch ErrorCode(sync.errorCode) {
            case .noError:
                do {
                    return try ConsumerProtocolCodec.decodeAssignment(sync.assignment)
                } catch {
                    throw KafkaClientError(.protocolViolation, "undecodable assignment: \(error)", resource: coordinator.resource)
                }
            case .rebalanceInProgress, .illegalGeneration:
                continue
            case .unknownMemberId:
                memberId = ""
                continue
            case let code:
                throw KafkaClientError.broker(code, resource: coordinator.resource)
            }
        }
    }

    /// The leader's job: decode every member's subscription and run the chosen assignor.
    private func assign(members: [JoinGroupResponse.JoinGroupResponseMember],
                        protocolName: String) async throws -> [SyncGroupRequest.SyncGroupRequestAssignment] {
        guard let strategy = AssignmentStrategy(rawValue: protocolName) else {
            throw KafkaClientError.broker(.inconsistentGroupProtocol, resource: coordinator.resource,
                                          message: "the group chose assignor '\(protocolName)', which this client does not implement")
        }
        var subscriptions: [MemberSubscription] = []
        for member in members {
            do {
                let subscription = try ConsumerProtocolCodec.decodeSubscription(member.metadata)
                subscriptions.append(MemberSubscription(memberId: member.memberId, topics: Set(subscription.topics)))
            } catch {
                throw KafkaClientError(.protocolViolation, "undecodable subscription of member \(member.memberId): \(error)",
                                       resource: coordinator.resource)
            }
        }
        let allTopics = Array(Set(subscriptions.flatMap(\.topics)))
        let metadata = try await coordinator.client.metadata(topics: allTopics, refresh: true)
        var counts: [String: Int] = [:]
        for topic in allTopics {
            if let info = metadata.topics[topic], info.error == .noError { counts[topic] = info.partitions.count }
        }
        let plan = Assignors.assign(strategy, members: subscriptions, partitionCounts: counts)
        return plan.keys.sorted().map {
            SyncGroupRequest.SyncGroupRequestAssignment(memberId: $0, assignment: ConsumerProtocolCodec.encodeAssignment(plan[$0]!))
        }
    }

    /// One heartbeat; `.rebalance` means the member must rejoin.
    func heartbeat() async throws -> HeartbeatOutcome {
        let response = try await coordinator.send(
            HeartbeatRequest(groupId: coordinator.groupId, generationId: generation, memberId: memberId, groupInstanceId: nil),
            errorCode: { $0.errorCode })
        switch ErrorCode(response.errorCode) {
        case .noError:
            return .stable
        case .rebalanceInProgress, .illegalGeneration:
            return .rebalance
        case .unknownMemberId:
            memberId = ""
            generation = -1
            return .rebalance
        case let code:
            throw KafkaClientError.broker(code, resource: coordinator.resource)
        }
    }

    /// Leaves the group, so that it rebalances at once instead of after the session timeout.
    func leave() async {
        guard !memberId.isEmpty else { return }
        let request = LeaveGroupRequest(groupId: coordinator.groupId, memberId: memberId,
                                        members: [LeaveGroupRequest.MemberIdentity(memberId: memberId, groupInstanceId: nil, reason: "closing")])
        _ = try? await coordinator.send(request, timeout: .seconds(5))
        memberId = ""
        generation = -1
    }
}
