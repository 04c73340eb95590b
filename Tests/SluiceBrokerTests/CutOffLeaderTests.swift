import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// A partition leader cut off from the controller and from its followers (a network partition)
/// cannot learn that the controller fenced it and elected another leader. It must stop posing as
/// the leader once its lease is gone (no heartbeat answered for `broker.session.timeout.ms`) and
/// its followers stopped fetching (an ISR shrink waits for the controller): Produce answers
/// NOT_LEADER_OR_FOLLOWER and the connection closes, Metadata names no leader — otherwise
/// librdkafka, which asks the broker it used last for metadata, never leaves it while the
/// partition lasts (`ClusterPartitionTests` shows it with real namespaces). A controller outage
/// alone, with the followers fetching, changes nothing (`ParkedAdminTests`).
@Suite(.onTestThreads) struct CutOffLeaderTests {
    static let topic = "cut"
    static let tp = TopicPartition(topic, 0)

    @Test func aLeaderWithoutLeaseWhoseFollowersStoppedFetchingStopsLeading() async throws {
        try await InProcessCluster.with(brokers: 2, configure: { config in
            config.cluster.brokerSessionTimeoutMs = 1500
            config.replication.replicaLagTimeMaxMs = 1000
        }) { cluster in
            let leader = cluster.broker(2).advertised.port
            var topic = CreateTopicsRequest.CreatableTopic(name: Self.topic, numPartitions: -1, replicationFactor: -1)
            topic.assignments = [.init(partitionIndex: 0, brokerIds: [2, 3])]
            let created = try await RawKafkaConnection(port: leader, timeoutSeconds: 60)
                .roundTrip(CreateTopicsRequest(topics: [topic], timeoutMs: 30_000), version: 7)
            #expect(created.topics.first?.errorCode == 0)
            try await poll(until: "broker 2 leads \(Self.tp), broker 3 in its ISR", timeout: .seconds(20)) {
                cluster.broker(2).services.localReplicas.leadership(of: Self.tp)?.isLeader == true
                    && cluster.broker(2).services.replicas.engine.partition(Self.tp)?.status.isr.sorted() == [2, 3]
            }
            #expect(try await Self.produce(at: leader).code == 0)

            // The controller and the follower go away: broker 2 is alone, its metadata unchanged.
            await cluster.stopNode(1)
            await cluster.stopNode(3)
            var refusal: (code: Int16, closed: Bool) = (0, false)
            try await poll(until: "broker 2 refuses to lead \(Self.tp)", timeout: .seconds(30), every: .milliseconds(100)) {
                refusal = try await Self.produce(at: leader)
                return refusal.code != 0
            }
            #expect(ErrorCode(refusal.code) == .notLeaderOrFollower)
            #expect(refusal.closed, "the connection stays open: the client would ask this broker for metadata again")
            #expect(cluster.broker(2).cluster.lifecycle.holdsLease == false)

            let metadata = try await RawKafkaConnection(port: leader)
                .roundTrip(MetadataRequest(topics: [.init(name: Self.topic)]), version: 12)
            let partition = try #require(metadata.topics.first?.partitions.first)
            #expect(partition.leaderId == -1 && ErrorCode(partition.errorCode) == .leaderNotAvailable, "\(partition)")
            #expect(partition.leaderEpoch == 0, "the epoch stays: clients that know a newer one ignore this answer")
        }
    }

    /// The controller alone goes away (a quorum outage) while the follower keeps fetching: the
    /// leader loses its lease but goes on leading, `acks=all` included, as Kafka's brokers do.
    @Test func aLeaderWithoutLeaseWhoseFollowersFetchGoesOnLeading() async throws {
        try await InProcessCluster.with(brokers: 2, configure: { config in
            config.cluster.brokerSessionTimeoutMs = 1500
            config.replication.replicaLagTimeMaxMs = 1000
        }) { cluster in
            let leader = cluster.broker(2).advertised.port
            var topic = CreateTopicsRequest.CreatableTopic(name: Self.topic, numPartitions: -1, replicationFactor: -1)
            topic.assignments = [.init(partitionIndex: 0, brokerIds: [2, 3])]
            let created = try await RawKafkaConnection(port: leader, timeoutSeconds: 60)
                .roundTrip(CreateTopicsRequest(topics: [topic], timeoutMs: 30_000), version: 7)
            #expect(created.topics.first?.errorCode == 0)
            try await poll(until: "broker 2 leads \(Self.tp), broker 3 in its ISR", timeout: .seconds(20)) {
                cluster.broker(2).services.localReplicas.leadership(of: Self.tp)?.isLeader == true
                    && cluster.broker(2).services.replicas.engine.partition(Self.tp)?.status.isr.sorted() == [2, 3]
            }
            await cluster.stopNode(1)
            try await poll(until: "broker 2 without its lease", timeout: .seconds(20)) {
                !cluster.broker(2).cluster.lifecycle.holdsLease
            }
            // Three replica-lag periods: follower 3 keeps fetching, so nothing is proposed or refused.
            for _ in 0..<6 {
                #expect(try await Self.produce(at: leader, acks: -1).code == 0)
                try await Task.sleep(for: .milliseconds(500))
            }
            let metadata = try await RawKafkaConnection(port: leader)
                .roundTrip(MetadataRequest(topics: [.init(name: Self.topic)]), version: 12)
            #expect(metadata.topics.first?.partitions.first?.leaderId == 2)
        }
    }

    /// One append at `port` (acks=1 unless said otherwise): its error code, and whether the broker closed the connection after answering.
    private static func produce(at port: Int, acks: Int16 = 1) async throws -> (code: Int16, closed: Bool) {
        let connection = try await RawKafkaConnection(port: port, timeoutSeconds: 10)
        let response = try await connection.roundTrip(produceRequest(topic: topic, acks: acks, batch: try makeBatch(1)), version: 9)
        let code = response.responses.first?.partitionResponses.first?.errorCode ?? -1
        return (code, code == 0 ? false : await connection.isClosedByPeer())
    }

    /// The engine's side: a leader proposing to drop followers says so without its lock until
    /// the controller's answer (here: the metadata) commits the change; a proposal that only adds
    /// members is not a shrink.
    @Test func aPendingIsrShrinkIsPublished() throws {
        let tp = ProducePathTests.tp
        let dir = try ProducePathTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try ProducePathTests.log(dir)
        defer { try? log.close() }
        var config = ReplicationConfig()
        config.replicaLagTimeMaxMs = 1000
        let engine = ReplicaEngine<ProducePathTests.Request>(localId: 1, config: config)
        _ = engine.apply(PartitionState(topicPartition: tp, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0,
                                        partitionEpoch: 0), log: log, now: 0)
        let partition = try #require(engine.partition(tp))
        #expect(!partition.isLeaderShrinkingIsr)
        let records = try RecordBatchSequence.wholeBatches(try ProducePathTests.batch(producer: 1, sequence: 0))
        _ = partition.appendAsLeader(records, requiredAcks: 1, timeoutMs: 1000, token: .init(producer: 1, sequence: 0), now: 10)
        // Follower 2 never fetches the record: after replica.lag.time.max.ms the leader proposes [1].
        #expect(partition.checkIsr(now: 2_000).proposals.first?.proposal.isr == [1])
        #expect(partition.isLeaderShrinkingIsr)
        _ = engine.apply(PartitionState(topicPartition: tp, replicas: [1, 2], isr: [1], leader: 1, leaderEpoch: 0,
                                        partitionEpoch: 1), log: log, now: 2_010)
        #expect(!partition.isLeaderShrinkingIsr, "the controller committed the shrink")
        // Follower 2 catches up: the expansion it proposes is not a shrink.
        let (served, fetched) = partition.serveReplicaFetch(replicaId: 2, brokerEpoch: -1, currentLeaderEpoch: 0, fetchOffset: 1,
                                                           lastFetchedEpoch: 0, followerLogStartOffset: 0, maxBytes: 1 << 20,
                                                           minOneBatch: true, now: 2_100)
        if case let .records(read) = served { read.release() }
        #expect(fetched.proposals.first?.proposal.isr.sorted() == [1, 2])
        #expect(!partition.isLeaderShrinkingIsr)
    }
}
