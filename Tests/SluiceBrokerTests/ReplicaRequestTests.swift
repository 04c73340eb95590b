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
@Suite struct ReplicaRequestTests {
    /// Waits until this broker's replication engine holds `tp` (its metadata delta was applied).
    static func replica(_ fixture: BrokerFixture, _ tp: TopicPartition) throws -> BrokerReplicaEngine.Partition {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let partition = fixture.broker.services.replicas.engine.partition(tp) { return partition }
            usleep(10_000)
        }
        return try #require(fixture.broker.services.replicas.engine.partition(tp))
    }

    /// As Kafka's `Partition.localLogWithEpochOrThrow`, a client's leader epoch is checked before
    /// leadership: a follower replica answers a newer epoch than it knows with
    /// UNKNOWN_LEADER_EPOCH (the client knows of an election this broker has not heard of yet:
    /// retry here), and its own epoch or none with NOT_LEADER_OR_FOLLOWER (look elsewhere) —
    /// for consumer fetches, ListOffsets and OffsetForLeaderEpoch alike.
    @Test func aFollowerChecksTheClientsLeaderEpochFirst() async throws {
        let c = try await ControllerTests.Harness.start()
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        _ = try c.addBroker(2)
        try c.createTopic("followed", assignments: [[2, 1]])
        let registration = try c.partition("followed", 0) { $0.leader == 2 }
        #expect(registration.leader == 2)
        let tp = TopicPartition("followed", 0)
        let replica = try Self.replica(fixture, tp)
        #expect(replica.leaderCheck(currentLeaderEpoch: -1) == .notLeaderOrFollower)
        let epoch = registration.leaderEpoch
        let connection = try fixture.connect()

        func listOffsets(_ currentLeaderEpoch: Int32) throws -> Int16 {
            var partition = ListOffsetsRequest.ListOffsetsPartition()
            partition.partitionIndex = 0
            partition.currentLeaderEpoch = currentLeaderEpoch
            partition.timestamp = -1
            let request = ListOffsetsRequest(replicaId: -1, topics: [.init(name: "followed", partitions: [partition])])
            return try connection.roundTrip(request, version: 7).topics[0].partitions[0].errorCode
        }
        func offsetForLeaderEpoch(_ currentLeaderEpoch: Int32) throws -> Int16 {
            let request = OffsetForLeaderEpochRequest(topics: [
                .init(topic: "followed", partitions: [.init(partition: 0, currentLeaderEpoch: currentLeaderEpoch, leaderEpoch: 0)]),
            ])
            return try connection.roundTrip(request, version: 4).topics[0].partitions[0].errorCode
        }
        func fetch(_ currentLeaderEpoch: Int32) throws -> FetchResponse.PartitionData {
            let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
                .init(topic: "followed", partitions: [.init(partition: 0, currentLeaderEpoch: currentLeaderEpoch, fetchOffset: 0,
                                                            partitionMaxBytes: 1 << 20)]),
            ])
            return try connection.roundTrip(request, version: 12).responses[0].partitions[0]
        }

        let unknown = ErrorCode.unknownLeaderEpoch.rawValue
        let notLeader = ErrorCode.notLeaderOrFollower.rawValue
        #expect(try listOffsets(epoch + 3) == unknown)
        #expect(try offsetForLeaderEpoch(epoch + 3) == unknown)
        #expect(try fetch(epoch + 3).errorCode == unknown)
        #expect(try listOffsets(epoch) == notLeader)
        #expect(try offsetForLeaderEpoch(-1) == notLeader)
        let moved = try fetch(epoch)
        #expect(moved.errorCode == notLeader)
        #expect(moved.currentLeader.leaderId == 2 && moved.currentLeader.leaderEpoch == epoch, "the leader hint")
    }

    /// An `acks=all` produce whose follower never fetches stays in the partition's waiter list
    /// until its timeout, then gets REQUEST_TIMED_OUT; the records were appended (acks=1 sees
    /// the log end past them) but are not committed.
    @Test func anUnreplicatedAcksAllProduceTimesOut() async throws {
        let c = try await ControllerTests.Harness.start()
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        _ = try c.addBroker(2)
        try c.createTopic("unreplicated", assignments: [[1, 2]])
        let registration = try c.partition("unreplicated", 0) { $0.leader == 1 && $0.isr == [1, 2] }
        #expect(registration.isr == [1, 2])
        let tp = TopicPartition("unreplicated", 0)
        let replica = try Self.replica(fixture, tp)
        let ready = Date().addingTimeInterval(10)
        while !replica.status.isLeader && Date() < ready { usleep(10_000) }
        let connection = try fixture.connect()
        var request = produceRequest(topic: "unreplicated", acks: -1, batch: try makeBatch(2))
        request.timeoutMs = 300
        let started = Date()
        let answer = try connection.roundTrip(request, version: 9).responses[0].partitionResponses[0]
        #expect(answer.errorCode == ErrorCode.requestTimedOut.rawValue, "\(answer)")
        #expect(Date().timeIntervalSince(started) >= 0.3)
        let status = replica.status
        #expect(status.logEndOffset == 2 && status.highWatermark == 0)
        let quick = try connection.roundTrip(produceRequest(topic: "unreplicated", acks: 1, batch: try makeBatch(1)), version: 9)
        #expect(quick.responses[0].partitionResponses[0].baseOffset == 2)
    }
}
