import Foundation
import KafkaProtocol
import NIOCore
import SluiceStorage
import Testing

@testable import SluiceBroker

/// KIP-848's APIs through a whole in-process broker (real server, raw Kafka frames):
/// ConsumerGroupHeartbeat at librdkafka 2.16's version, ConsumerGroupDescribe, and the classic
/// APIs' answers for a consumer group.
@Suite struct ConsumerGroupApiTests {
    private func start(_ configure: @escaping (inout BrokerConfig) -> Void = { _ in }) async throws -> BrokerFixture {
        try await BrokerFixture.start { config in
            config.groups.offsetsTopicPartitions = 3
            config.groups.initialRebalanceDelayMs = 0
            config.groups.consumerHeartbeatIntervalMs = 700
            configure(&config)
        }
    }

    /// Retries `body` while the coordinator is not ready yet (its partitions are loading).
    private func untilLoaded<T>(_ body: () throws -> (T, Int16)) throws -> T {
        let deadline = Date().addingTimeInterval(10)
        let retriable: Set<Int16> = [ErrorCode.coordinatorLoadInProgress.rawValue, ErrorCode.coordinatorNotAvailable.rawValue,
                                     ErrorCode.notCoordinator.rawValue]
        while true {
            let (value, code) = try body()
            if !retriable.contains(code) || Date() > deadline { return value }
            usleep(20_000)
        }
    }

    @Test func aConsumerGroupThroughTheWire() async throws {
        let fixture = try await start()
        defer { Task { await fixture.stop() } }
        let c = try fixture.connect()
        _ = try c.roundTrip(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 4)
        let topicId = try #require(try c.roundTrip(MetadataRequest(topics: [.init(name: "t")]), version: 12).topics.first?.topicId)
        _ = try c.roundTrip(FindCoordinatorRequest(key: "cg"), version: 0)

        // A join as librdkafka 2.16 sends it: v1, its own member id, "" for no regex.
        let join = ConsumerGroupHeartbeatRequest(groupId: "cg", memberId: "member-a", memberEpoch: 0,
                                                 rebalanceTimeoutMs: 300_000, subscribedTopicNames: ["t"],
                                                 subscribedTopicRegex: "", topicPartitions: [])
        let joined: ConsumerGroupHeartbeatResponse = try untilLoaded {
            let r = try c.roundTrip(join, version: 1)
            return (r, r.errorCode)
        }
        #expect(joined.errorCode == 0 && joined.memberId == "member-a" && joined.memberEpoch == 1)
        #expect(joined.heartbeatIntervalMs == 700)
        #expect(joined.assignment?.topicPartitions.map(\.topicId) == [topicId])
        #expect(joined.assignment?.topicPartitions.first?.partitions == [0, 1])

        // A join without a member id gets one (v0, no regex field).
        var anonymous = join
        anonymous.memberId = ""
        let second = try c.roundTrip(anonymous, version: 0)
        #expect(second.errorCode == 0 && (second.memberId ?? "").count == 22 && second.memberEpoch == 2)

        // Commits and fetches with member epochs (OffsetCommit/OffsetFetch v9).
        func commit(_ epoch: Int32, version: Int16 = 9) throws -> Int16? {
            try c.roundTrip(OffsetCommitRequest(
                groupId: "cg", generationIdOrMemberEpoch: epoch, memberId: "member-a",
                topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 11)])]), version: version)
                .topics.first?.partitions.first?.errorCode
        }
        #expect(try commit(1) == 0)
        #expect(try commit(0) == ErrorCode.staleMemberEpoch.rawValue)
        #expect(try commit(7) == ErrorCode.fencedMemberEpoch.rawValue)
        #expect(try commit(1, version: 8) == ErrorCode.unsupportedVersion.rawValue)
        let fetched = try c.roundTrip(OffsetFetchRequest(groups: [
            .init(groupId: "cg", memberId: "member-a", memberEpoch: 1, topics: nil),
            .init(groupId: "cg", memberId: "member-a", memberEpoch: 0, topics: nil),
        ]), version: 9)
        #expect(fetched.groups.map(\.errorCode) == [0, ErrorCode.staleMemberEpoch.rawValue])
        #expect(fetched.groups.first?.topics.first?.partitions.first?.committedOffset == 11)

        // ConsumerGroupDescribe: names, epochs, current vs target.
        let described = try c.roundTrip(ConsumerGroupDescribeRequest(groupIds: ["cg", "none"], includeAuthorizedOperations: true),
                                         version: 0)
        let group = try #require(described.groups.first)
        #expect(group.errorCode == 0 && group.groupState == "Reconciling" && group.groupEpoch == 2 && group.assignorName == "uniform")
        #expect(group.members.map(\.memberId).first == "member-a")
        #expect(group.members.first?.assignment.topicPartitions.first?.topicName == "t")
        #expect(group.members.first?.assignment.topicPartitions.first?.partitions == [0, 1], "still holding both")
        #expect(group.members.first?.targetAssignment.topicPartitions.first?.partitions.count == 1)
        #expect(group.members.first?.clientHost == "/127.0.0.1")
        #expect(described.groups.last?.errorCode == ErrorCode.groupIdNotFound.rawValue)

        // The classic APIs: listed as a consumer group, described by DescribeGroups as Dead (as
        // Kafka), classic members refused.
        let listed = try c.roundTrip(ListGroupsRequest(typesFilter: ["consumer"]), version: 5)
        #expect(listed.groups.map(\.groupId) == ["cg"] && listed.groups.first?.groupType == "consumer")
        #expect(listed.groups.first?.protocolType == "consumer" && listed.groups.first?.groupState == "Reconciling")
        #expect(try c.roundTrip(DescribeGroupsRequest(groups: ["cg"]), version: 5).groups.first?.groupState == "Dead")
        let classicJoin = try c.roundTrip(JoinGroupRequest(
            groupId: "cg", sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: "", protocolType: "consumer",
            protocols: [.init(name: "range", metadata: ByteBuffer(string: "m"))]), version: 5)
        #expect(classicJoin.errorCode == ErrorCode.inconsistentGroupProtocol.rawValue)

        // Leaving.
        let left = try c.roundTrip(ConsumerGroupHeartbeatRequest(groupId: "cg", memberId: "member-a", memberEpoch: -1), version: 1)
        #expect(left.errorCode == 0 && left.memberEpoch == -1)
    }

    @Test func aClassicGroupIsNotAConsumerGroup() async throws {
        let fixture = try await start()
        defer { Task { await fixture.stop() } }
        let c = try fixture.connect()
        _ = try c.roundTrip(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
        _ = try c.roundTrip(FindCoordinatorRequest(key: "classic"), version: 0)
        let join = JoinGroupRequest(groupId: "classic", sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: "",
                                    protocolType: "consumer", protocols: [.init(name: "range", metadata: ByteBuffer(string: "m"))])
        let joined: JoinGroupResponse = try untilLoaded {
            let r = try c.roundTrip(join, version: 3)
            return (r, r.errorCode)
        }
        #expect(joined.errorCode == 0)
        let described = try c.roundTrip(ConsumerGroupDescribeRequest(groupIds: ["classic"]), version: 0)
        #expect(described.groups.first?.errorCode == ErrorCode.groupIdNotFound.rawValue)
        let heartbeat = try c.roundTrip(ConsumerGroupHeartbeatRequest(
            groupId: "classic", memberId: "x", memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ["t"],
            topicPartitions: []), version: 1)
        #expect(heartbeat.errorCode == ErrorCode.groupIdNotFound.rawValue)
    }

    @Test func theConsumerProtocolCanBeTurnedOff() async throws {
        let fixture = try await start { $0.groups.rebalanceProtocols = ["classic"] }
        defer { Task { await fixture.stop() } }
        let c = try fixture.connect()
        let versions = try c.roundTrip(ApiVersionsRequest(), version: 3)
        let keys = Set(versions.apiKeys.map(\.apiKey))
        #expect(!keys.contains(ApiKey.consumerGroupHeartbeat.rawValue) && !keys.contains(ApiKey.consumerGroupDescribe.rawValue))
        #expect(keys.contains(ApiKey.joinGroup.rawValue))
    }
}
