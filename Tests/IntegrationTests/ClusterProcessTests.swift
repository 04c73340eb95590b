import Foundation
import KafkaProtocol
import Testing

/// Multi-broker clusters of real processes: the metadata quorum, the controller and partition
/// leaders surviving SIGKILL while confluent-kafka keeps producing, and brokers joining and
/// leaving. Session timeout 2 s, election timeout 0.5 s (local-cluster settings).
@Suite(.serialized, .onTestThreads) struct ClusterProcessTests {
    /// Metadata from the first broker of `ports` that answers.
    static func metadata(_ cluster: ClusterHarness, topic: String? = nil, avoiding: Set<Int32> = []) async throws -> MetadataResponse {
        var lastError: (any Error)?
        for node in cluster.nodes.values.sorted(by: { $0.id < $1.id }) where !avoiding.contains(node.id) && cluster.isRunning(node.id) {
            do {
                let connection = try await RawKafkaConnection(port: node.port, timeoutSeconds: 3)
                var request = MetadataRequest()
                request.topics = topic.map { [.init(name: $0)] } ?? []
                request.allowAutoTopicCreation = false
                return try await connection.roundTrip(request, version: 12)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? BrokerProcess.Failure(description: "no broker is running")
    }

    static func leader(_ response: MetadataResponse, partition: Int32) -> Int32? {
        response.topics.first?.partitions.first { $0.partitionIndex == partition }?.leaderId
    }

    @Test func controllerAndLeaderFailoverWhileProducing() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else {
            print("skipped: confluent-kafka is not installed")
            return
        }
        try await ClusterHarness.with(brokers: 3) { cluster in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 registered brokers and a controller", seconds: 30) {
                let m = try await Self.metadata(cluster)
                return m.brokers.count == 3 && m.controllerId >= 0
            }
            _ = try await ClientRunner.python("cluster_client.py", ["create", cluster.bootstrap, "failover", "3", "3", "2"], timeout: 60)
            // Other brokers see the topic once their metadata fetch brings it.
            var created = MetadataResponse()
            try await ClusterHarness.waitFor("the topic on every broker", seconds: 10) {
                created = try await Self.metadata(cluster, topic: "failover")
                return created.topics.first?.partitions.count == 3
            }
            #expect(created.topics.first?.partitions.allSatisfy { $0.replicaNodes.count == 3 && $0.isrNodes.count == 3 } == true)

            // confluent-kafka produces throughout (acks=all, min.insync.replicas 2, retries within its
            // delivery timeout), recording every value it is told was delivered.
            let stopFile = cluster.directory + "/stop-producer"
            let deliveredFile = cluster.directory + "/delivered"
            let producer = ChildProcess("/usr/bin/env", ["python3", ClientRunner.clientsDirectory.appendingPathComponent("cluster_client.py").path,
                                                          "produce", cluster.bootstrap, "failover", "120", stopFile, deliveredFile])
            let producerOut = cluster.directory + "/producer.out"
            FileManager.default.createFile(atPath: producerOut, contents: nil)
            // One handle for both streams: two would each write from offset 0 over the other.
            let producerLog = FileHandle(forWritingAtPath: producerOut)
            producer.process.standardOutput = producerLog
            producer.process.standardError = producerLog
            try await withResource(producer, stop: { await $0.stop(grace: .seconds(10)) }) { producer in
                try await producer.start()
                try await Task.sleep(for: .seconds(1))

                // 1. SIGKILL the active controller: a new one within about the election timeout.
                let controller = try await Self.metadata(cluster).controllerId
                await cluster.kill9(controller)
                let controllerFailover = try await ClusterHarness.waitFor("a new controller", seconds: 15) {
                    let id = try await Self.metadata(cluster, avoiding: [controller]).controllerId
                    return id >= 0 && id != controller
                }
                print("controller failover: \(String(format: "%.2f", controllerFailover)) s (killed \(controller))")
                #expect(controllerFailover < 5, "\(cluster.allLogs())")
                try await cluster.start(controller)
                try await ClusterHarness.waitFor("broker \(controller) back", seconds: 20) { try await Self.metadata(cluster).brokers.count == 3 }

                // 2. SIGKILL the leader of partition 0: another ISR member leads within the session timeout.
                let before = try await Self.metadata(cluster, topic: "failover")
                let partition = try #require(before.topics.first?.partitions.first { $0.partitionIndex == 0 })
                let leader = partition.leaderId
                await cluster.kill9(leader)
                // Another replica (the ISR read above may be older than the one the controller elected
                // from: the broker just restarted answers first and may not show itself re-added yet;
                // the read-back below checks that nothing acknowledged was lost).
                let leaderFailover = try await ClusterHarness.waitFor("a new leader of failover-0", seconds: 15) {
                    let now = Self.leader(try await Self.metadata(cluster, topic: "failover", avoiding: [leader]), partition: 0)
                    return now.map { $0 >= 0 && $0 != leader && partition.replicaNodes.contains($0) } ?? false
                }
                print("partition leader failover: \(String(format: "%.2f", leaderFailover)) s (killed \(leader), session timeout \(cluster.sessionTimeoutMs) ms)")
                #expect(leaderFailover < Double(cluster.sessionTimeoutMs) / 1000 + 3, "\(cluster.allLogs())")

                // 3. The killed broker restarts and rejoins (registered again, unfenced).
                try await cluster.start(leader)
                try await ClusterHarness.waitFor("broker \(leader) back", seconds: 20) { try await Self.metadata(cluster).brokers.count == 3 }

                FileManager.default.createFile(atPath: stopFile, contents: nil)
                await producer.exited(within: .seconds(90))
            }
            let output = (try? String(contentsOfFile: producerOut, encoding: .utf8)) ?? ""
            let summary = output.split(separator: "\n").last { $0.hasPrefix("{") }
            let stats = try #require(summary.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                     "producer output:\n\(output)")
            let sent = stats["sent"] as? Int ?? -1, delivered = stats["delivered"] as? Int ?? -2
            let errors = stats["errors"] as? [String] ?? ["?"]
            print("producer: sent \(sent), delivered \(delivered), errors \(errors.count)")
            #expect(sent > 100)
            #expect(delivered == sent, "\(errors.prefix(5))")
            #expect(errors.isEmpty, "\(errors.prefix(5))")

            // Every message it was told was delivered survived the SIGKILL of its partition's leader.
            let checked = try await ClientRunner.python("cluster_client.py", ["check", cluster.bootstrap, "failover", deliveredFile], timeout: 90)
            let found = try #require(checked.records.first, "check printed nothing: \(checked.stdout)\(checked.stderr)")
            print("delivered \(found["delivered"] ?? "?"), found afterwards \(found["found"] ?? "?")")
            #expect(found["delivered"] as? Int == delivered)
            #expect(found["found"] as? Int == delivered, "missing: \(found["missing"] ?? "?")")
        }
    }
}
