import Foundation
import KafkaProtocol
import Testing

/// One large admin request must never destabilise the metadata quorum (issue 21, item 3): three
/// combined broker+controller processes with the local cluster's short timeouts (election 0.5 s,
/// fetch 1 s) create a topic of 10,000 partitions × RF 3 — every broker then creates 10,000 logs —
/// and the active controller stays in place; a request beyond the limit is refused at once.
@Suite(.serialized, .onTestThreads) struct ClusterLargeRequestTests {
    @Test func tenThousandPartitionsLeaveTheControllerInPlace() async throws {
        let begin = Date()
        func step(_ what: String) { print("[\(String(format: "%6.1f", Date().timeIntervalSince(begin))) s] \(what)") }
        // In memory when the machine has a tmpfs: the subject is the quorum, not the disk, and the
        // 30,000 log directories take a minute to delete from a busy disk.
        let shm = URL(fileURLWithPath: "/dev/shm")
        let cluster = try ClusterHarness(brokers: 3, parent: FileManager.default.isWritableFile(atPath: shm.path)
                                            ? shm : FileManager.default.temporaryDirectory)
        // Killed, not stopped: moving 10,000 leaderships in a controlled shutdown is not this test's subject.
        try await withResource(cluster, stop: { cluster in
            for id in cluster.nodes.keys { await cluster.kill9(id) }
            step("killed")
        }) { cluster in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 brokers and a controller", seconds: 30) {
                let metadata = try await ClusterProcessTests.metadata(cluster)
                return metadata.brokers.count == 3 && metadata.controllerId >= 0
            }
            let before = try await Self.quorum(cluster)
            step("cluster up, controller \(before)")

            let started = Date()
            let response = try await RawKafkaConnection(port: cluster.nodes[1]!.port, timeoutSeconds: 120).roundTrip(
                CreateTopicsRequest(topics: [.init(name: "big", numPartitions: 10_000, replicationFactor: 3)], timeoutMs: 60_000),
                version: 7)
            let result = try #require(response.topics.first)
            print("CreateTopics of 10,000 partitions × RF 3 answered in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: "
                  + "error \(result.errorCode) \(result.errorMessage ?? "")")
            // TOPIC_ALREADY_EXISTS: the broker's forward to the controller failed after the controller
            // had it and was sent again (seen once in CI, answered in 1.5 s) — Kafka's forwarding
            // resends the same way. The topic must then still be there, whole.
            #expect(result.errorCode == 0 || result.errorCode == ErrorCode.topicAlreadyExists.rawValue,
                    "\(result.errorMessage ?? "")\n\(cluster.allLogs())")
            step("created")
            var partitions: [MetadataResponse.MetadataResponsePartition] = []
            _ = try? await ClusterHarness.waitFor("big with 10,000 partitions", seconds: 120) {
                partitions = try await Self.metadata(cluster, topic: "big").topics.first?.partitions ?? []
                return partitions.count == 10_000
            }
            #expect(partitions.count == 10_000)
            #expect(partitions.allSatisfy { $0.leaderId >= 0 && $0.replicaNodes.count == 3 })

            step("described")
            // The same leader in the same epoch: no election happened.
            let after = try await Self.quorum(cluster)
            #expect(after.leader == before.leader && after.epoch == before.epoch,
                    "the controller changed from \(before) to \(after)\n\(cluster.allLogs())")
            let activations = cluster.nodes.keys.map { Self.log(cluster, $0).components(separatedBy: "is the active controller").count - 1 }
            #expect(activations.reduce(0, +) == 1, "active-controller changes: \(activations)")

            step("quorum checked")
            // Beyond Kafka's 10,000 partitions per request: refused at once, nothing written.
            let refused = try await RawKafkaConnection(port: cluster.nodes[2]!.port, timeoutSeconds: 30).roundTrip(
                CreateTopicsRequest(topics: [.init(name: "huge", numPartitions: 10_001, replicationFactor: 3)], timeoutMs: 60_000),
                version: 7)
            #expect(refused.topics.first?.errorCode == ErrorCode.policyViolation.rawValue)
            #expect(refused.topics.first?.errorMessage?.contains("10001 partitions, the limit is 10000") == true,
                    "\(refused.topics.first?.errorMessage ?? "")")
            #expect(try await Self.metadata(cluster, topic: "huge").topics.first?.errorCode
                    == ErrorCode.unknownTopicOrPartition.rawValue)
            step("refused")
            let last = try await Self.quorum(cluster)
            #expect(last.leader == before.leader && last.epoch == before.epoch, "the controller changed: \(before) → \(last)")
        }
    }

    /// The quorum's leader (the active controller) and epoch, from DescribeQuorum.
    static func quorum(_ cluster: ClusterHarness) async throws -> (leader: Int32, epoch: Int32) {
        let response = try await RawKafkaConnection(port: cluster.nodes[1]!.port, timeoutSeconds: 30).roundTrip(
            DescribeQuorumRequest(topics: [.init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0)])]),
            version: 1)
        let partition = try #require(response.topics.first?.partitions.first)
        return (partition.leaderId, partition.leaderEpoch)
    }

    /// Metadata for one topic from broker 1, with time for a response of 10,000 partitions on a
    /// loaded machine.
    static func metadata(_ cluster: ClusterHarness, topic: String) async throws -> MetadataResponse {
        var request = MetadataRequest()
        request.topics = [.init(name: topic)]
        request.allowAutoTopicCreation = false
        return try await RawKafkaConnection(port: cluster.nodes[1]!.port, timeoutSeconds: 60).roundTrip(request, version: 12)
    }

    static func log(_ cluster: ClusterHarness, _ id: Int32) -> String {
        (try? String(contentsOfFile: "\(cluster.directory)/broker-\(id).log", encoding: .utf8)) ?? ""
    }
}
