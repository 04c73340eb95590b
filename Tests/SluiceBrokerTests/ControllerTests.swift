import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// The controller through its own protocol: an in-process broker (a one-voter quorum) with a
/// controller listener, and other "brokers" that are only this test speaking BrokerRegistration,
/// BrokerHeartbeat and AlterPartition to it, as real brokers would.
@Suite struct ControllerTests {
    struct Harness {
        let fixture: BrokerFixture
        let connection: RawKafkaConnection

        static func start(sessionTimeoutMs: Int64 = 9000) async throws -> Harness {
            let fixture = try await BrokerFixture.start { config in
                config.controllerListener = BrokerAddress(host: "127.0.0.1", port: 0)
                config.cluster.brokerSessionTimeoutMs = sessionTimeoutMs
                config.cluster.brokerHeartbeatIntervalMs = min(2000, sessionTimeoutMs / 4)
                config.cluster.autoLeaderRebalanceEnable = false
            }
            let port = try #require(fixture.broker.controllerAddress?.port)
            return Harness(fixture: fixture, connection: try RawKafkaConnection(port: port))
        }

        /// Registers broker `id` and heartbeats it until it is unfenced; returns its epoch.
        func addBroker(_ id: Int32, rack: String? = nil) throws -> Int64 {
            var registration = BrokerRegistrationRequest()
            registration.brokerId = id
            registration.clusterId = fixture.broker.cluster.image.clusterId ?? ""
            registration.incarnationId = KafkaUUID.random()
            registration.listeners = [.init(name: "PLAINTEXT", host: "127.0.0.1", port: UInt16(9000 + id), securityProtocol: 0)]
            registration.rack = rack
            let registered = try connection.roundTrip(registration, version: 2)
            #expect(registered.errorCode == 0)
            let epoch = registered.brokerEpoch
            let beat = try heartbeat(id, epoch: epoch)
            #expect(beat.errorCode == 0 && !beat.isFenced)
            return epoch
        }

        @discardableResult
        func heartbeat(_ id: Int32, epoch: Int64, wantShutDown: Bool = false) throws -> BrokerHeartbeatResponse {
            var request = BrokerHeartbeatRequest()
            request.brokerId = id
            request.brokerEpoch = epoch
            request.currentMetadataOffset = Int64.max / 2
            request.wantShutDown = wantShutDown
            return try connection.roundTrip(request, version: 1)
        }

        func partition(_ topic: String, _ index: Int32) throws -> PartitionRegistration {
            try #require(fixture.broker.cluster.image.topics[topic]?.partitions[Int(index)])
        }

        /// The partition once this broker's image satisfies `condition` (forwarded requests return
        /// when the controller committed; the broker's own image follows a moment later).
        func partition(_ topic: String, _ index: Int32, when condition: (PartitionRegistration) -> Bool) throws -> PartitionRegistration {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let p = fixture.broker.cluster.image.topics[topic]?.partitions[Int(index)], condition(p) { return p }
                usleep(10_000)
            }
            return try partition(topic, index)
        }

        /// AlterPartition from `sender` (the leader) for one partition.
        func alterIsr(_ topic: String, _ index: Int32, isr: [Int32], sender: Int32, senderEpoch: Int64,
                      leaderEpoch: Int32? = nil, partitionEpoch: Int32? = nil) throws -> AlterPartitionResponse.PartitionData {
            let p = try partition(topic, index)
            var data = AlterPartitionRequest.PartitionData()
            data.partitionIndex = index
            data.leaderEpoch = leaderEpoch ?? p.leaderEpoch
            data.partitionEpoch = partitionEpoch ?? p.partitionEpoch
            data.newIsrWithEpochs = isr.map { .init(brokerId: $0, brokerEpoch: -1) }
            var request = AlterPartitionRequest()
            request.brokerId = sender
            request.brokerEpoch = senderEpoch
            request.topics = [.init(topicId: p.topicId, partitions: [data])]
            let response = try connection.roundTrip(request, version: 3)
            #expect(response.errorCode == 0)
            return try #require(response.topics.first?.partitions.first)
        }

        func createTopic(_ name: String, assignments: [[Int32]]) throws {
            var topic = CreateTopicsRequest.CreatableTopic(name: name, numPartitions: -1, replicationFactor: -1)
            topic.assignments = assignments.enumerated().map { .init(partitionIndex: Int32($0.offset), brokerIds: $0.element) }
            let response = try fixture.connect().roundTrip(CreateTopicsRequest(topics: [topic], timeoutMs: 10_000), version: 7)
            #expect(response.topics.first?.errorCode == 0, "\(response)")
        }
    }

    /// DeleteRecords moves a log start only at the partition's leader: this broker holds a
    /// follower replica of a partition broker 2 leads, and answers NOT_LEADER_OR_FOLLOWER.
    @Test func deleteRecordsAtAFollowerIsRefused() async throws {
        let c = try await Harness.start()
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        _ = try c.addBroker(2)
        try c.createTopic("led-elsewhere", assignments: [[2, 1]])
        #expect(try c.partition("led-elsewhere", 0) { $0.leader == 2 }.leader == 2)
        let hosted = Date().addingTimeInterval(10)
        while fixture.logs.log(for: TopicPartition("led-elsewhere", 0)) == nil && Date() < hosted { usleep(10_000) }
        #expect(fixture.logs.log(for: TopicPartition("led-elsewhere", 0)) != nil, "the follower replica's log")
        let request = DeleteRecordsRequest(topics: [.init(name: "led-elsewhere", partitions: [
            .init(partitionIndex: 0, offset: 0)])], timeoutMs: 1000)
        let answer = try fixture.connect().roundTrip(request, version: 2).topics.first?.partitions.first
        #expect(answer?.errorCode == ErrorCode.notLeaderOrFollower.rawValue && answer?.lowWatermark == -1)
    }

    @Test func registeredBrokersGetReplicasSpreadOverRacks() async throws {
        let c = try await Harness.start()
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        _ = try c.addBroker(2, rack: "b")
        _ = try c.addBroker(3, rack: "a")
        _ = try c.addBroker(4, rack: "b")
        let metadata = try c.fixture.connect().roundTrip(MetadataRequest(topics: nil), version: 12)
        #expect(metadata.brokers.map(\.nodeId) == [1, 2, 3, 4])

        var topic = CreateTopicsRequest.CreatableTopic(name: "spread", numPartitions: 8, replicationFactor: 2)
        topic.configs = []
        let created = try c.fixture.connect().roundTrip(CreateTopicsRequest(topics: [topic], timeoutMs: 10_000), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let partitions = try #require(c.fixture.broker.cluster.image.topics["spread"]?.partitions)
        // Broker 1 has no rack: racks are used only when set, and then every pair spans two racks.
        let racks: [Int32: String] = [2: "b", 3: "a", 4: "b"]
        var leaders: [Int32: Int] = [:]
        for p in partitions {
            #expect(Set(p.replicas).count == 2 && p.isr == p.replicas && p.leader == p.replicas[0])
            leaders[p.leader, default: 0] += 1
            if p.replicas.allSatisfy({ racks[$0] != nil }) { #expect(Set(p.replicas.map { racks[$0]! }).count == 2) }
        }
        #expect(leaders.count == 4 && leaders.values.allSatisfy { $0 == 2 }, "leaders spread evenly: \(leaders)")

        // Too many replicas for the brokers there are.
        let tooMany = try c.fixture.connect().roundTrip(CreateTopicsRequest(topics: [
            .init(name: "huge", numPartitions: 1, replicationFactor: 5)], timeoutMs: 10_000), version: 7)
        #expect(tooMany.topics.first?.errorCode == ErrorCode.invalidReplicationFactor.rawValue)
    }

    @Test func alterPartitionIsValidatedAndCommitted() async throws {
        let c = try await Harness.start()
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        let epoch1 = c.fixture.broker.cluster.brokerEpoch
        let epoch2 = try c.addBroker(2)
        _ = try c.addBroker(3)
        try c.createTopic("isr", assignments: [[1, 2, 3]])
        let start = try c.partition("isr", 0)
        #expect(start.leader == 1 && start.isr == [1, 2, 3])

        // The leader shrinks the ISR: committed, partition epoch bumped, leader epoch unchanged.
        let shrunk = try c.alterIsr("isr", 0, isr: [1, 2], sender: 1, senderEpoch: epoch1)
        #expect(shrunk.errorCode == 0 && shrunk.isr == [1, 2] && shrunk.partitionEpoch == start.partitionEpoch + 1)
        #expect(shrunk.leaderEpoch == start.leaderEpoch)
        #expect(try c.partition("isr", 0) { $0.isr == [1, 2] }.isr == [1, 2])

        // Stale partition epoch, stale leader epoch, a non-leader sender, a stale broker epoch.
        #expect(try c.alterIsr("isr", 0, isr: [1], sender: 1, senderEpoch: epoch1, partitionEpoch: start.partitionEpoch).errorCode
                == ErrorCode.invalidUpdateVersion.rawValue)
        #expect(try c.alterIsr("isr", 0, isr: [1], sender: 1, senderEpoch: epoch1, leaderEpoch: start.leaderEpoch - 1).errorCode
                == ErrorCode.fencedLeaderEpoch.rawValue)
        #expect(try c.alterIsr("isr", 0, isr: [2], sender: 2, senderEpoch: epoch2).errorCode == ErrorCode.notLeaderOrFollower.rawValue)
        var stale = AlterPartitionRequest()
        stale.brokerId = 1
        stale.brokerEpoch = epoch1 + 1000
        #expect(try c.connection.roundTrip(stale, version: 3).errorCode == ErrorCode.staleBrokerEpoch.rawValue)

        // Growing back: only live replicas may join.
        #expect(try c.alterIsr("isr", 0, isr: [1, 2, 5], sender: 1, senderEpoch: epoch1).errorCode == ErrorCode.ineligibleReplica.rawValue)
        #expect(try c.alterIsr("isr", 0, isr: [1, 2, 3], sender: 1, senderEpoch: epoch1).isr == [1, 2, 3])
    }

    @Test func reassignmentAddsThenRemovesOnceInSync() async throws {
        let c = try await Harness.start()
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        let epoch1 = c.fixture.broker.cluster.brokerEpoch
        _ = try c.addBroker(2)
        _ = try c.addBroker(3)
        try c.createTopic("moving", assignments: [[1, 2, 3]])
        _ = try c.addBroker(4)

        var reassign = AlterPartitionReassignmentsRequest()
        reassign.topics = [.init(name: "moving", partitions: [.init(partitionIndex: 0, replicas: [1, 2, 4])])]
        // Through the broker listener: the broker forwards it to the controller.
        let started = try c.fixture.connect().roundTrip(reassign, version: 0)
        #expect(started.errorCode == 0 && started.responses.first?.partitions.first?.errorCode == 0)
        let ongoing = try c.partition("moving", 0) { $0.isReassigning }
        #expect(ongoing.replicas == [1, 2, 4, 3] && ongoing.addingReplicas == [4] && ongoing.removingReplicas == [3])
        let listed = try c.fixture.connect().roundTrip(ListPartitionReassignmentsRequest(topics: nil), version: 0)
        #expect(listed.topics.first?.partitions.first?.addingReplicas == [4])

        // The new replica catches up; the leader adds it to the ISR, which completes the move.
        let done = try c.alterIsr("moving", 0, isr: [1, 2, 3, 4], sender: 1, senderEpoch: epoch1)
        #expect(done.errorCode == 0 && done.isr == [1, 2, 4])
        let finished = try c.partition("moving", 0) { !$0.isReassigning }
        #expect(finished.replicas == [1, 2, 4] && !finished.isReassigning)
        #expect(try c.fixture.connect().roundTrip(ListPartitionReassignmentsRequest(topics: nil), version: 0).topics.isEmpty)

        // A reassignment that moves the leader away elects one from the new replicas; cancelling
        // restores the original set.
        reassign.topics = [.init(name: "moving", partitions: [.init(partitionIndex: 0, replicas: [2, 4])])]
        #expect(try c.fixture.connect().roundTrip(reassign, version: 0).responses.first?.partitions.first?.errorCode == 0)
        let shrunk = try c.partition("moving", 0) { $0.replicas == [2, 4] }
        #expect(shrunk.replicas == [2, 4] && shrunk.leader == 2 && shrunk.leaderEpoch > finished.leaderEpoch)

        reassign.topics = [.init(name: "moving", partitions: [.init(partitionIndex: 0, replicas: [2, 4, 3])])]
        _ = try c.fixture.connect().roundTrip(reassign, version: 0)
        #expect(try c.partition("moving", 0) { $0.isReassigning }.addingReplicas == [3])
        reassign.topics = [.init(name: "moving", partitions: [.init(partitionIndex: 0, replicas: nil)])]
        #expect(try c.fixture.connect().roundTrip(reassign, version: 0).responses.first?.partitions.first?.errorCode == 0)
        let cancelled = try c.partition("moving", 0) { !$0.isReassigning }
        #expect(cancelled.replicas == [2, 4] && !cancelled.isReassigning)
    }

    @Test func silentBrokersAreFencedAndTheirLeadershipsMove() async throws {
        let c = try await Harness.start(sessionTimeoutMs: 600)
        let fixture = c.fixture
        defer { Task { await fixture.stop() } }
        let epoch2 = try c.addBroker(2)
        try c.createTopic("led-by-2", assignments: [[2, 1]])
        #expect(try c.partition("led-by-2", 0).leader == 2)
        // Broker 2 stops heartbeating: after its session it is fenced, out of the ISR, not leader.
        let deadline = Date().addingTimeInterval(10)
        while try c.partition("led-by-2", 0).leader != 1 && Date() < deadline { usleep(50_000) }
        let moved = try c.partition("led-by-2", 0)
        #expect(moved.leader == 1 && moved.isr == [1] && moved.leaderEpoch == 1)
        #expect(c.fixture.broker.cluster.image.brokers[2]?.fenced == true)
        let metadata = try c.fixture.connect().roundTrip(MetadataRequest(topics: nil), version: 12)
        #expect(metadata.brokers.map(\.nodeId) == [1])
        #expect(metadata.topics.first?.partitions.first?.offlineReplicas == [2])

        // Fencing keeps the registration: a heartbeat unfences it again, but it stays out of the
        // ISR until its partition leaders add it back (AlterPartition).
        #expect(try c.heartbeat(2, epoch: epoch2).isFenced == false)
        #expect(try c.partition("led-by-2", 0).isr == [1])

        // Unregistering removes it from the cluster.
        let unregistered = try c.fixture.connect().roundTrip(UnregisterBrokerRequest(brokerId: 2), version: 0)
        #expect(unregistered.errorCode == 0)
        // Committed when the answer comes; this node's image follows a moment later.
        let gone = Date().addingTimeInterval(10)
        while c.fixture.broker.cluster.image.brokers[2] != nil && Date() < gone { usleep(10_000) }
        #expect(c.fixture.broker.cluster.image.brokers[2] == nil)
        #expect(try c.heartbeat(2, epoch: epoch2).errorCode == ErrorCode.staleBrokerEpoch.rawValue)
    }
}

/// The metadata log on disk: snapshots, restarts, and data directories from before the quorum.
@Suite struct MetadataLogRestartTests {
    @Test func snapshotsAndRestartsKeepTheMetadata() async throws {
        let first = try await BrokerFixture.start { $0.cluster.metadataSnapshotBytes = 300 }
        let connection = try first.connect()
        for i in 0..<6 {
            let response = try connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "s\(i)", numPartitions: 2, replicationFactor: 1)],
                                                                        timeoutMs: 5000), version: 7)
            #expect(response.topics.first?.errorCode == 0)
        }
        let before = first.broker.cluster.image
        await first.stop(removeDirectory: false)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: first.directory + "/__cluster_metadata-0/snapshots")
        #expect(snapshots.contains { $0.hasSuffix(".checkpoint") }, "a snapshot was taken: \(snapshots)")

        let second = try await BrokerFixture.start(directory: first.directory)
        defer { Task { await second.stop() } }
        let after = second.broker.cluster.image
        #expect(after.clusterId == before.clusterId)
        #expect(after.topics.mapValues(\.id) == before.topics.mapValues(\.id))
        let metadata = try second.connect().roundTrip(MetadataRequest(topics: nil), version: 12)
        #expect(metadata.topics.count == 6 && metadata.topics.allSatisfy { $0.partitions.allSatisfy { $0.leaderId == 1 } })
    }

    @Test func singleNodeMetadataFromBeforeTheQuorumIsImported() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-legacy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let id = KafkaUUID.random()
        let legacy = ClusterMetadata(clusterId: "legacy-cluster", topics: [
            "old": TopicMetadata(name: "old", id: id, partitions: [PartitionMetadata(replicas: [1], leader: 1, leaderEpoch: 4)],
                                 configs: ["retention.ms": "5000"]),
        ], producerIdBlockEnd: 3000)
        try FileMetadataStore(directory: directory).save(legacy)

        let fixture = try await BrokerFixture.start(directory: directory)
        defer { Task { await fixture.stop() } }
        let image = fixture.broker.cluster.image
        #expect(image.clusterId == "legacy-cluster")
        #expect(image.topics["old"]?.id == id && image.topics["old"]?.configs == ["retention.ms": "5000"])
        #expect(image.topics["old"]?.partitions.first?.leaderEpoch == 4)
        #expect(image.nextProducerIdBlock >= 3000)
        #expect(FileManager.default.fileExists(atPath: directory + "/sluice-metadata.json.imported"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/sluice-metadata.json"))
        let producerId = try fixture.connect().roundTrip(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1), version: 4)
        #expect(producerId.producerId >= 3000, "ids handed out before the upgrade are never reused")
    }
}
