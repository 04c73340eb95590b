import Foundation
import KafkaProtocol
import NIOCore
import SluiceStorage
import Testing

@testable import SluiceBroker

/// The group APIs through a whole in-process broker (real server, raw Kafka frames), at the old
/// versions librdkafka 2.0.2 uses and at the newest ones.
@Suite(.onTestThreads) struct GroupApiTests {
    /// Runs `body` with a started broker (stopped after it, on every path).
    private func withBroker(_ body: (BrokerFixture) async throws -> Void) async throws {
        try await BrokerFixture.with(configure: { config in
            config.groups.offsetsTopicPartitions = 5
            config.groups.initialRebalanceDelayMs = 0
            config.groups.minSessionTimeoutMs = 100
        }, body)
    }

    /// Retries `body` while it reports a retriable coordinator error (the topic's partitions load
    /// right after it is created; until the broker has applied its leadership of them, it is not
    /// yet their coordinator).
    private func untilLoaded<T>(_ what: String, _ body: () async throws -> (T, Int16)) async throws -> T {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let (value, code) = try await body()
            let retriable: Set<Int16> = [ErrorCode.coordinatorLoadInProgress.rawValue, ErrorCode.coordinatorNotAvailable.rawValue,
                                         ErrorCode.notCoordinator.rawValue]
            if !retriable.contains(code) || Date() > deadline { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func findCoordinatorCreatesTheInternalOffsetsTopic() async throws {
        try await withBroker { fixture in
            let c = try await fixture.connect()
            let v0 = try await c.roundTrip(FindCoordinatorRequest(key: "g"), version: 0)
            #expect(v0.errorCode == 0 && v0.nodeId == 1 && v0.port == Int32(fixture.port) && v0.host == "127.0.0.1")

            let metadata = try await c.roundTrip(MetadataRequest(topics: [.init(name: OffsetsTopic.name)]), version: 9)
            #expect(metadata.topics.first?.isInternal == true)
            #expect(metadata.topics.first?.partitions.count == 5)
            let configs = try await c.roundTrip(DescribeConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: OffsetsTopic.name, configurationKeys: ["cleanup.policy", "segment.bytes"]),
            ]), version: 1)
            let values = Dictionary(uniqueKeysWithValues: (configs.results.first?.configs ?? []).map { ($0.name, $0.value) })
            #expect(values["cleanup.policy"] == "compact" && values["segment.bytes"] == "104857600")

            let batched = try await c.roundTrip(FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["a", "b"]), version: 4)
            #expect(batched.coordinators.map(\.key) == ["a", "b"] && batched.coordinators.allSatisfy { $0.errorCode == 0 })
            // A transactional id's coordinator: __transaction_state is created the same way, compacted,
            // its min ISR capped at its replication factor (one broker here).
            let txn = try await c.roundTrip(FindCoordinatorRequest(key: "tx", keyType: 1), version: 3)
            #expect(txn.errorCode == 0 && txn.port == Int32(fixture.port))
            let stateConfigs = try await c.roundTrip(DescribeConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: TransactionStateTopic.name,
                      configurationKeys: ["cleanup.policy", "min.insync.replicas"]),
            ]), version: 1)
            let state = Dictionary(uniqueKeysWithValues: (stateConfigs.results.first?.configs ?? []).map { ($0.name, $0.value) })
            #expect(state["cleanup.policy"] == "compact" && state["min.insync.replicas"] == "1")
            let share = try await c.roundTrip(FindCoordinatorRequest(keyType: 2, coordinatorKeys: ["s"]), version: 6)
            #expect(share.coordinators.first?.errorCode == ErrorCode.invalidRequest.rawValue)
        }
    }

    @Test func aGroupAtLibrdkafka202sVersions() async throws {
        try await withBroker { fixture in
            let c = try await fixture.connect()
            _ = try await c.roundTrip(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 4)
            _ = try await c.roundTrip(FindCoordinatorRequest(key: "old"), version: 0)
            let metadataBytes = ByteBuffer(bytes: [0, 0, 0, 0, 0, 1, 0, 1, 116, 0, 0, 0, 0])
            let joinRequest = JoinGroupRequest(groupId: "old", sessionTimeoutMs: 60_000, memberId: "", protocolType: "consumer",
                                               protocols: [.init(name: "range", metadata: metadataBytes)])
            let joined: JoinGroupResponse = try await untilLoaded("join") {
                let r = try await c.roundTrip(joinRequest, version: 0)
                return (r, r.errorCode)
            }
            #expect(joined.errorCode == 0 && joined.generationId == 1 && joined.leader == joined.memberId)
            #expect(joined.members.map(\.metadata) == [metadataBytes] && joined.protocolName == "range")

            let synced = try await c.roundTrip(SyncGroupRequest(groupId: "old", generationId: 1, memberId: joined.memberId,
                                                          assignments: [.init(memberId: joined.memberId, assignment: ByteBuffer(string: "a"))]),
                                         version: 0)
            #expect(synced.errorCode == 0 && synced.assignment == ByteBuffer(string: "a"))
            #expect(try await c.roundTrip(HeartbeatRequest(groupId: "old", generationId: 1, memberId: joined.memberId), version: 0).errorCode == 0)

            let commit = try await c.roundTrip(OffsetCommitRequest(
                groupId: "old", generationIdOrMemberEpoch: 1, memberId: joined.memberId, retentionTimeMs: -1,
                topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 7, committedMetadata: "meta"),
                                                       .init(partitionIndex: 5, committedOffset: 1)])]), version: 2)
            #expect(commit.topics.first?.partitions.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
            let fetched = try await c.roundTrip(OffsetFetchRequest(groupId: "old", topics: [.init(name: "t", partitionIndexes: [0, 1])]),
                                          version: 1)
            #expect(fetched.topics.first?.partitions.map(\.committedOffset) == [7, -1])
            #expect(fetched.topics.first?.partitions.map(\.metadata) == ["meta", ""])
            #expect(fetched.topics.first?.partitions.map(\.errorCode) == [0, 0])

            let left = try await c.roundTrip(LeaveGroupRequest(groupId: "old", memberId: joined.memberId), version: 0)
            #expect(left.errorCode == 0)
            let described = try await c.roundTrip(DescribeGroupsRequest(groups: ["old", "never"]), version: 0)
            #expect(described.groups.map(\.groupState) == ["Empty", "Dead"])
            let listed = try await c.roundTrip(ListGroupsRequest(), version: 0)
            #expect(listed.groups.map(\.groupId) == ["old"] && listed.groups.first?.protocolType == "consumer")
        }
    }

    @Test func theNewestVersionsAndTheAdminCalls() async throws {
        try await withBroker { fixture in
            let c = try await fixture.connect()
            _ = try await c.roundTrip(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            _ = try await c.roundTrip(FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["new"]), version: 6)
            let join = JoinGroupRequest(groupId: "new", sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000,
                                        memberId: "", groupInstanceId: nil, protocolType: "consumer",
                                        protocols: [.init(name: "roundrobin", metadata: ByteBuffer(string: "m"))], reason: "test")
            let first: JoinGroupResponse = try await untilLoaded("join") {
                let r = try await c.roundTrip(join, version: 9)
                return (r, r.errorCode)
            }
            #expect(first.errorCode == ErrorCode.memberIdRequired.rawValue && !first.memberId.isEmpty)
            var second = join
            second.memberId = first.memberId
            let joined = try await c.roundTrip(second, version: 9)
            #expect(joined.errorCode == 0 && joined.protocolType == "consumer" && joined.protocolName == "roundrobin")
            let synced = try await c.roundTrip(SyncGroupRequest(groupId: "new", generationId: joined.generationId, memberId: joined.memberId,
                                                          protocolType: "consumer", protocolName: "roundrobin",
                                                          assignments: [.init(memberId: joined.memberId, assignment: ByteBuffer(string: "x"))]),
                                         version: 5)
            #expect(synced.errorCode == 0 && synced.protocolName == "roundrobin")
            let commit = try await c.roundTrip(OffsetCommitRequest(
                groupId: "new", generationIdOrMemberEpoch: joined.generationId, memberId: joined.memberId,
                topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: 0)])]),
                version: 9)
            #expect(commit.topics.first?.partitions.first?.errorCode == 0)
            let fetched = try await c.roundTrip(OffsetFetchRequest(groups: [.init(groupId: "new", topics: nil)], requireStable: true), version: 9)
            #expect(fetched.groups.first?.topics.first?.partitions.map(\.committedOffset) == [3])
            #expect(fetched.groups.first?.topics.first?.partitions.map(\.committedLeaderEpoch) == [0])

            let described = try await c.roundTrip(DescribeGroupsRequest(groups: ["new"], includeAuthorizedOperations: true), version: 5)
            let group = try #require(described.groups.first)
            #expect(group.groupState == "Stable" && group.protocolData == "roundrobin")
            #expect(group.members.map(\.memberMetadata) == [ByteBuffer(string: "m")])
            #expect(group.members.map(\.memberAssignment) == [ByteBuffer(string: "x")])
            #expect(group.members.first?.clientHost == "/127.0.0.1")
            #expect(group.authorizedOperations == (1 << 3) | (1 << 6) | (1 << 8))
            let listed = try await c.roundTrip(ListGroupsRequest(statesFilter: ["Stable"], typesFilter: ["classic"]), version: 5)
            #expect(listed.groups.map(\.groupId) == ["new"] && listed.groups.first?.groupType == "classic")

            #expect(try await c.roundTrip(DeleteGroupsRequest(groupsNames: ["new", "none"]), version: 2).results.map(\.errorCode)
                    == [ErrorCode.nonEmptyGroup.rawValue, ErrorCode.groupIdNotFound.rawValue])
            let offsetDelete = try await c.roundTrip(OffsetDeleteRequest(groupId: "new", topics: [.init(name: "t", partitions: [.init(partitionIndex: 0)])]),
                                               version: 0)
            #expect(offsetDelete.topics.first?.partitions.first?.errorCode == ErrorCode.groupSubscribedToTopic.rawValue)
            let left = try await c.roundTrip(LeaveGroupRequest(groupId: "new", members: [.init(memberId: joined.memberId, reason: "bye")]),
                                       version: 5)
            #expect(left.errorCode == 0 && left.members.map(\.errorCode) == [0])
            #expect(try await c.roundTrip(DeleteGroupsRequest(groupsNames: ["new"]), version: 2).results.map(\.errorCode) == [0])
            let gone = try await c.roundTrip(OffsetFetchRequest(groups: [.init(groupId: "new", topics: nil)]), version: 8)
            #expect(gone.groups.first?.topics.isEmpty == true)
        }
    }

    @Test func offsetsSurviveARestartOfTheBroker() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-groups-\(UUID().uuidString)").path
        let logs = InMemoryLogDirectory()
        let configure: (inout BrokerConfig) -> Void = {
            $0.groups.offsetsTopicPartitions = 3
            $0.groups.initialRebalanceDelayMs = 0
        }
        let first = try await BrokerFixture.start(directory: directory, logs: logs, configure: configure)
        try await withResource(first, stop: { await $0.stop(removeDirectory: false) }) { first in
            let c = try await first.connect()
            _ = try await c.roundTrip(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            _ = try await c.roundTrip(FindCoordinatorRequest(key: "keep"), version: 0)
            let commit: OffsetCommitResponse = try await untilLoaded("commit") {
                let r = try await c.roundTrip(OffsetCommitRequest(groupId: "keep", topics: [
                    .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 99, committedMetadata: "kept")]),
                ]), version: 8)
                return (r, r.topics.first?.partitions.first?.errorCode ?? -1)
            }
            #expect(commit.topics.first?.partitions.first?.errorCode == 0)
        }

        try await BrokerFixture.with(directory: directory, logs: logs, configure: configure) { second in
            let c = try await second.connect()
            let fetched: OffsetFetchResponse = try await untilLoaded("fetch") {
                let r = try await c.roundTrip(OffsetFetchRequest(groupId: "keep", topics: [.init(name: "t", partitionIndexes: [0])]), version: 7)
                return (r, r.errorCode)
            }
            #expect(fetched.errorCode == 0)
            #expect(fetched.topics.first?.partitions.first?.committedOffset == 99)
            #expect(fetched.topics.first?.partitions.first?.metadata == "kept")
        }
    }
}
