import Foundation
import KafkaProtocol
import Testing

/// Transactions across a 3-broker cluster (confluent-kafka, `Clients/transactions.py cluster`):
/// the coordinator sends markers to the other brokers leading the transaction's partitions
/// (WriteTxnMarkers), those leaders ask the coordinator whether a transactional batch's partition
/// is in the transaction (AddPartitionsToTxn v4), and a transaction left open survives a SIGKILL
/// of its coordinator: the new leader of its `__transaction_state` partition loads it, the
/// producer finds it and commits. read_committed then holds the committed transactions' records
/// exactly once and none of the aborted one's.
@Suite(.serialized, .onTestThreads) struct TransactionClusterTests {
    static func coordinator(_ cluster: ClusterHarness, transactionalId: String, avoiding: Set<Int32> = []) async throws -> Int32 {
        for node in cluster.nodes.values.sorted(by: { $0.id < $1.id }) where !avoiding.contains(node.id) && cluster.isRunning(node.id) {
            guard let connection = try? await RawKafkaConnection(port: node.port, timeoutSeconds: 3),
                  let response = try? await connection.roundTrip(FindCoordinatorRequest(key: transactionalId, keyType: 1), version: 3),
                  response.errorCode == 0 else { continue }
            return response.nodeId
        }
        throw BrokerProcess.Failure(description: "no broker named a coordinator for \(transactionalId)")
    }

    static func events(_ path: String) -> [String: [String: Any]] {
        var events: [String: [String: Any]] = [:]
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
               let name = object["event"] as? String { events[name] = object }
        }
        return events
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"))
    func transactionsSpanBrokersAndSurviveACoordinatorKill() async throws {
        try await ClusterHarness.with(brokers: 3, extraProperties: ["transaction.state.log.num.partitions=3"]) { cluster in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 registered brokers and a controller", seconds: 30) {
                let m = try await ClusterProcessTests.metadata(cluster)
                return m.brokers.count == 3 && m.controllerId >= 0
            }
            let topic = "txn-cluster"
            _ = try await ClientRunner.python("cluster_client.py", ["create", cluster.bootstrap, topic, "3", "3", "2"], timeout: 60)
            let output = cluster.directory + "/transactions.out", proceed = cluster.directory + "/proceed"
            FileManager.default.createFile(atPath: output, contents: nil)
            FileManager.default.createFile(atPath: output + ".err", contents: nil)
            let client = ChildProcess("/usr/bin/env", [
                "python3", ClientRunner.clientsDirectory.appendingPathComponent("transactions.py").path, "cluster",
                "--bootstrap", cluster.bootstrap, "--topic", topic, "--wait-file", proceed])
            client.process.standardOutput = FileHandle(forWritingAtPath: output)
            client.process.standardError = FileHandle(forWritingAtPath: output + ".err")
            let killed = try await withResource(client, stop: { await $0.stop(grace: .seconds(10)) }) { client -> Int32 in
                try await client.start()
                try await ClusterHarness.waitFor("the third transaction open", seconds: 120) { Self.events(output)["open"] != nil }
                let transactionalId = Self.events(output)["transactional_id"]?["id"] as? String ?? ""
                let killed = try await Self.coordinator(cluster, transactionalId: transactionalId)
                await cluster.kill9(killed)
                let moved = try await ClusterHarness.waitFor("a new transaction coordinator", seconds: 30) {
                    try await Self.coordinator(cluster, transactionalId: transactionalId, avoiding: [killed]) != killed
                }
                print("transaction coordinator \(killed) killed; another broker coordinates after \(String(format: "%.2f", moved)) s")
                FileManager.default.createFile(atPath: proceed, contents: nil)
                let finished = await client.exited(within: .seconds(150))
                #expect(finished, "the client did not finish:\n\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
                return killed
            }
            let events = Self.events(output)
            let diagnosis = "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")\n\(cluster.allLogs())"
            #expect(events["committed"] != nil && events["committed"]?["error"] is NSNull,
                    "the transaction open during the kill of broker \(killed) did not commit: \(diagnosis)")
            let expected = ((0..<30).map { "one-\($0)" } + (0..<30).map { "three-\($0)" }).sorted()
            #expect(events["read_committed"]?["values"] as? [String] == expected, "\(diagnosis)")
        }
    }
}
