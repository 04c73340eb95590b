import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import Testing
@testable import SluiceClient

/// The group consumer's side of the classic protocol, against a scripted coordinator that
/// answers as Kafka's does: MEMBER_ID_REQUIRED first, then this member as leader of a two-member
/// group (the second member is scripted), the leader's assignment handed back by SyncGroup, a
/// committed offset for one partition. What is checked is what the client sends and does.
@Suite struct GroupConsumerTests {
    final class Coordinator: Sendable {
        let state = NIOLockedValueBox<(syncAssignments: [String: [TopicPartition]], commits: [OffsetCommitRequest],
                                       leaves: [LeaveGroupRequest], joins: [JoinGroupRequest], fetched: Bool)>(([:], [], [], [], false))

        func respond(_ peer: @escaping @Sendable () -> ScriptedPeer?) -> ScriptedPeer.Responder {
            { request in
                guard let peer = peer() else { return nil }
                switch request.apiKey {
                case .apiVersions: return ScriptedPeer.apiVersions(request)
                case .metadata: return peer.metadata(request, topics: ["t": 3])
                case .findCoordinator:
                    return ScriptedPeer.answer(FindCoordinatorResponse(errorCode: 0, nodeId: 1, host: "127.0.0.1", port: Int32(peer.port)), to: request)
                case .joinGroup:
                    let join = try! request.decodeBody(JoinGroupRequest.self)
                    self.state.withLockedValue { $0.joins.append(join) }
                    if join.memberId.isEmpty {
                        return ScriptedPeer.answer(JoinGroupResponse(errorCode: ErrorCode.memberIdRequired.rawValue, memberId: "m-1"), to: request)
                    }
                    let other = ConsumerProtocolCodec.encodeSubscription(topics: ["t"])
                    return ScriptedPeer.answer(JoinGroupResponse(
                        errorCode: 0, generationId: 1, protocolType: "consumer", protocolName: join.protocols[0].name,
                        leader: "m-1", memberId: "m-1",
                        members: [.init(memberId: "m-1", metadata: join.protocols[0].metadata), .init(memberId: "m-2", metadata: other)]),
                        to: request)
                case .syncGroup:
                    let sync = try! request.decodeBody(SyncGroupRequest.self)
                    var plan: [String: [TopicPartition]] = [:]
                    for a in sync.assignments { plan[a.memberId] = try! ConsumerProtocolCodec.decodeAssignment(a.assignment) }
                    self.state.withLockedValue { $0.syncAssignments = plan }
                    let mine = sync.assignments.first { $0.memberId == sync.memberId }?.assignment ?? ByteBuffer()
                    return ScriptedPeer.answer(SyncGroupResponse(errorCode: 0, assignment: mine), to: request)
                case .offsetFetch:
                    let body = try! request.decodeBody(OffsetFetchRequest.self)
                    let topics = (body.topics ?? []).map { t in
                        OffsetFetchResponse.OffsetFetchResponseTopic(name: t.name, partitions: t.partitionIndexes.map {
                            .init(partitionIndex: $0, committedOffset: $0 == 0 ? 5 : -1, metadata: "", errorCode: 0)
                        })
                    }
                    return ScriptedPeer.answer(OffsetFetchResponse(topics: topics, errorCode: 0), to: request)
                case .listOffsets:
                    let body = try! request.decodeBody(ListOffsetsRequest.self)
                    return ScriptedPeer.answer(ListOffsetsResponse(topics: body.topics.map { t in
                        .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: 0, offset: 0) })
                    }), to: request)
                case .fetch:
                    let body = try! request.decodeBody(FetchRequest.self)
                    let first = self.state.withLockedValue { s -> Bool in defer { s.fetched = true }; return !s.fetched }
                    return ScriptedPeer.answer(FetchResponse(responses: body.topics.map { t in
                        .init(topic: t.topic, partitions: t.partitions.map { p in
                            var records: RecordsPayload? = nil
                            if first && p.partition == 0 && p.fetchOffset == 5 {
                                var builder = RecordBatchBuilder(baseOffset: 5)
                                builder.append(key: nil, value: ByteBuffer(string: "five"), timestamp: 1)
                                builder.append(key: nil, value: ByteBuffer(string: "six"), timestamp: 2)
                                records = .bytes(try! builder.build().bytes)
                            }
                            return .init(partitionIndex: p.partition, errorCode: 0, highWatermark: 7, lastStableOffset: 7, records: records)
                        })
                    }), to: request)
                case .heartbeat:
                    return ScriptedPeer.answer(HeartbeatResponse(errorCode: 0), to: request)
                case .offsetCommit:
                    let body = try! request.decodeBody(OffsetCommitRequest.self)
                    self.state.withLockedValue { $0.commits.append(body) }
                    return ScriptedPeer.answer(OffsetCommitResponse(topics: body.topics.map { t in
                        .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: 0) })
                    }), to: request)
                case .leaveGroup:
                    self.state.withLockedValue { $0.leaves.append(try! request.decodeBody(LeaveGroupRequest.self)) }
                    return ScriptedPeer.answer(LeaveGroupResponse(errorCode: 0), to: request)
                default:
                    return nil
                }
            }
        }
    }

    @Test func joinsAsLeaderAssignsWithRangeReadsFromCommitsAndCommits() async throws {
        let coordinator = Coordinator()
        let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
        let peer = try await ScriptedPeer(respond: coordinator.respond { holder.withLockedValue { $0 } })
        holder.withLockedValue { $0 = peer }
        let client = KafkaClient(configuration: .test(peer))
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
            groupId: "g", enableAutoCommit: false, heartbeatInterval: .milliseconds(100), fetchMaxWait: .milliseconds(10)))
        try await consumer.subscribe(topics: ["t"])

        // MEMBER_ID_REQUIRED, then a join with the id; both protocols offered with a v0 subscription.
        let joins = coordinator.state.withLockedValue { $0.joins }
        #expect(joins.map(\.memberId) == ["", "m-1"])
        #expect(joins[0].protocols.map(\.name) == ["range", "roundrobin"])
        #expect(try ConsumerProtocolCodec.decodeSubscription(joins[0].protocols[0].metadata).topics == ["t"])
        // As leader: range over 3 partitions and 2 members.
        let plan = coordinator.state.withLockedValue { $0.syncAssignments }
        #expect(plan == ["m-1": [TopicPartition("t", 0), TopicPartition("t", 1)], "m-2": [TopicPartition("t", 2)]])
        #expect(consumer.assignment == [TopicPartition("t", 0), TopicPartition("t", 1)])
        // t-0 from its committed offset; t-1 has none, so auto.offset.reset (latest).
        #expect(consumer.position(TopicPartition("t", 0)) == 5)
        #expect(consumer.position(TopicPartition("t", 1)) == 0)

        var got: [ConsumerRecord] = []
        while got.count < 2 { got += try await consumer.poll(timeout: .seconds(5)) }
        #expect(got.map(\.offset) == [5, 6])
        #expect(got.map { String(buffer: $0.value!) } == ["five", "six"])

        try await consumer.commit()
        let commit = try #require(coordinator.state.withLockedValue { $0.commits.last })
        #expect(commit.groupId == "g")
        #expect(commit.generationIdOrMemberEpoch == 1)
        #expect(commit.memberId == "m-1")
        let committed = Dictionary(uniqueKeysWithValues: commit.topics.flatMap { t in t.partitions.map { ("\(t.name)-\($0.partitionIndex)", $0.committedOffset) } })
        #expect(committed == ["t-0": 7, "t-1": 0])

        await consumer.close()
        #expect(coordinator.state.withLockedValue { $0.leaves.count } == 1)
        #expect(peer.received(.heartbeat).allSatisfy { (try? $0.decodeBody(HeartbeatRequest.self).memberId) == "m-1" })

        // The coordinator's requests have a connection of their own (a JoinGroup held for a
        // rebalance must not hold back fetches, whose answers come in request order).
        let groupAPIs: [ApiKey] = [.joinGroup, .syncGroup, .heartbeat, .offsetFetch, .offsetCommit, .leaveGroup]
        let coordinatorConnections = Set(peer.received.filter { groupAPIs.contains($0.apiKey!) }.map(\.connection))
        let fetchConnections = Set(peer.received(.fetch).map(\.connection))
        #expect(coordinatorConnections.count == 1 && !fetchConnections.isEmpty
                && fetchConnections.isDisjoint(with: coordinatorConnections))
        await client.close()
        await peer.close()
    }

    /// Auto-commit runs on its own interval, even one shorter than the heartbeat interval.
    @Test func autoCommitKeepsItsIntervalBetweenHeartbeats() async throws {
        let coordinator = Coordinator()
        let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
        let peer = try await ScriptedPeer(respond: coordinator.respond { holder.withLockedValue { $0 } })
        holder.withLockedValue { $0 = peer }
        let client = KafkaClient(configuration: .test(peer))
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
            groupId: "g", enableAutoCommit: true, autoCommitInterval: .milliseconds(100), heartbeatInterval: .seconds(60),
            fetchMaxWait: .milliseconds(10)))
        try await consumer.subscribe(topics: ["t"])
        var got: [ConsumerRecord] = []
        while got.count < 2 { got += try await consumer.poll(timeout: .seconds(5)) }

        let deadline = ContinuousClock.now + .seconds(10)
        func committedSeven() -> Bool {
            coordinator.state.withLockedValue { s in
                s.commits.contains { $0.topics.contains { $0.partitions.contains { $0.partitionIndex == 0 && $0.committedOffset == 7 } } }
            }
        }
        while !committedSeven() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(committedSeven(), "no auto-commit of what poll returned within 10 s (the heartbeat interval is 60 s)")
        #expect(peer.received(.heartbeat).isEmpty)
        await consumer.close()
        await client.close()
        await peer.close()
    }
}
