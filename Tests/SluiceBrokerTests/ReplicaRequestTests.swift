import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// Client requests against this broker's replicas, with another "broker" that is only the test
/// speaking the controller's protocol (``ControllerTests/Harness``): the leader-epoch checks of
/// consumer requests (the replica's `leaderCheck`), and an `acks=all` produce that no follower
/// replicates.
@Suite(.onTestThreads) struct ReplicaRequestTests {
    /// Waits until this broker's replication engine holds `tp` (its metadata delta was applied).
    static func replica(_ fixture: BrokerFixture, _ tp: TopicPartition) async throws -> BrokerReplicaEngine.Partition {
        _ = await eventually(timeout: .seconds(10), every: .milliseconds(10)) {
            fixture.broker.services.replicas.engine.partition(tp) != nil
        }
        return try #require(fixture.broker.services.replicas.engine.partition(tp))
    }

    /// As Kafka's `Partition.localLogWithEpochOrThrow`, a client's leader epoch is checked before
    /// leadership: a follower replica answers a newer epoch than it knows with
    /// UNKNOWN_LEADER_EPOCH (the client knows of an election this broker has not heard of yet:
    /// retry here), and its own epoch or none with NOT_LEADER_OR_FOLLOWER (look elsewhere) —
    /// for consumer fetches, ListOffsets and OffsetForLeaderEpoch alike.
    @Test func aFollowerChecksTheClientsLeaderEpochFirst() async throws {
        try await ControllerTests.Harness.with { c in
            let fixture = c.fixture
            _ = try await c.addBroker(2)
            try await c.createTopic("followed", assignments: [[2, 1]])
            let registration = try await c.partition("followed", 0) { $0.leader == 2 }
            #expect(registration.leader == 2)
            let tp = TopicPartition("followed", 0)
            let replica = try await Self.replica(fixture, tp)
            #expect(replica.leaderCheck(currentLeaderEpoch: -1) == .notLeaderOrFollower)
            let epoch = registration.leaderEpoch
            let connection = try await fixture.connect()

            func listOffsets(_ currentLeaderEpoch: Int32) async throws -> Int16 {
                var partition = ListOffsetsRequest.ListOffsetsPartition()
                partition.partitionIndex = 0
                partition.currentLeaderEpoch = currentLeaderEpoch
                partition.timestamp = -1
                let request = ListOffsetsRequest(replicaId: -1, topics: [.init(name: "followed", partitions: [partition])])
                return try await connection.roundTrip(request, version: 7).topics[0].partitions[0].errorCode
            }
            func offsetForLeaderEpoch(_ currentLeaderEpoch: Int32) async throws -> Int16 {
                let request = OffsetForLeaderEpochRequest(topics: [
                    .init(topic: "followed", partitions: [.init(partition: 0, currentLeaderEpoch: currentLeaderEpoch, leaderEpoch: 0)]),
                ])
                return try await connection.roundTrip(request, version: 4).topics[0].partitions[0].errorCode
            }
            func fetch(_ currentLeaderEpoch: Int32, version: Int16 = 12) async throws -> FetchResponse.PartitionData {
                let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
                    .init(topic: "followed", partitions: [.init(partition: 0, currentLeaderEpoch: currentLeaderEpoch, fetchOffset: 0,
                                                                partitionMaxBytes: 1 << 20)]),
                ])
                return try await connection.roundTrip(request, version: version).responses[0].partitions[0]
            }

            let unknown = ErrorCode.unknownLeaderEpoch.rawValue
            let notLeader = ErrorCode.notLeaderOrFollower.rawValue
            #expect(try await listOffsets(epoch + 3) == unknown)
            #expect(try await offsetForLeaderEpoch(epoch + 3) == unknown)
            #expect(try await fetch(epoch + 3).errorCode == unknown)
            #expect(try await listOffsets(epoch) == notLeader)
            #expect(try await offsetForLeaderEpoch(-1) == notLeader)
            // KIP-392: a follower serves consumers' Fetch v11+ at the current epoch; before v11 it refuses.
            #expect(try await fetch(epoch).errorCode == 0, "fetch from follower")
            #expect(try await fetch(epoch, version: 10).errorCode == notLeader)
        }
    }

    /// An `acks=all` produce whose follower never fetches stays in the partition's waiter list
    /// until its timeout, then gets REQUEST_TIMED_OUT; the records were appended (acks=1 sees
    /// the log end past them) but are not committed.
    @Test func anUnreplicatedAcksAllProduceTimesOut() async throws {
        try await ControllerTests.Harness.with { c in
            let fixture = c.fixture
            _ = try await c.addBroker(2)
            try await c.createTopic("unreplicated", assignments: [[1, 2]])
            let registration = try await c.partition("unreplicated", 0) { $0.leader == 1 && $0.isr == [1, 2] }
            #expect(registration.isr == [1, 2])
            let tp = TopicPartition("unreplicated", 0)
            let replica = try await Self.replica(fixture, tp)
            _ = await eventually(timeout: .seconds(10), every: .milliseconds(10)) { replica.status.isLeader }
            let connection = try await fixture.connect()
            var request = produceRequest(topic: "unreplicated", acks: -1, batch: try makeBatch(2))
            request.timeoutMs = 300
            let started = Date()
            let answer = try await connection.roundTrip(request, version: 9).responses[0].partitionResponses[0]
            #expect(answer.errorCode == ErrorCode.requestTimedOut.rawValue, "\(answer)")
            #expect(Date().timeIntervalSince(started) >= 0.3)
            let status = replica.status
            #expect(status.logEndOffset == 2 && status.highWatermark == 0)
            let quick = try await connection.roundTrip(produceRequest(topic: "unreplicated", acks: 1, batch: try makeBatch(1)), version: 9)
            #expect(quick.responses[0].partitionResponses[0].baseOffset == 2)
        }
    }
}
