import Foundation
import KafkaProtocol
import Testing

/// A consumer group survives a SIGKILL of its coordinator: the leadership of the group's
/// `__consumer_offsets` partition moves to another replica, that broker loads the group from its
/// copy of the log, and the members (confluent-kafka, synchronous commits) find it, rejoin and
/// go on from their committed offsets. Both protocols: classic (the members rejoin) and KIP-848's
/// consumer protocol (the group's epochs and assignments come back from the log; the members
/// heartbeat on with their epochs).
@Suite(.serialized) struct ClusterCoordinatorFailoverTests {
    static func coordinator(_ cluster: ClusterHarness, group: String, avoiding: Set<Int32> = []) throws -> Int32 {
        for node in cluster.nodes.values.sorted(by: { $0.id < $1.id }) where !avoiding.contains(node.id) && cluster.isRunning(node.id) {
            guard let connection = try? RawKafkaConnection(port: node.port, timeoutSeconds: 3),
                  let response = try? connection.roundTrip(FindCoordinatorRequest(key: group, keyType: 0), version: 3),
                  response.errorCode == 0 else { continue }
            return response.nodeId
        }
        throw BrokerProcess.Failure(description: "no broker named a coordinator for \(group)")
    }

    /// What the members printed: consumed (partition, offset, phase) and acknowledged commits.
    struct Events {
        var consumed: [(partition: Int, offset: Int, phase: Int)] = []
        var commits: [(partition: Int, next: Int, phase: Int)] = []
        var summaries: [[String: Any]] = []

        init(_ paths: [String]) {
            for path in paths {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                for line in text.split(separator: "\n") where line.hasPrefix("{") {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                    if let c = object["c"] as? [Int], c.count == 3 {
                        consumed.append((c[0], c[1], c[2]))
                    } else if let k = object["k"] as? [Int], k.count == 3 {
                        commits.append((k[0], k[1], k[2]))
                    } else {
                        summaries.append(object)
                    }
                }
            }
        }

        var distinct: Int { Set(consumed.map { "\($0.partition)/\($0.offset)" }).count }
    }

    @Test(arguments: ["classic", "consumer"])
    func groupSurvivesCoordinatorKill(_ groupProtocol: String) throws {
        guard Clients.shouldRun(Clients.confluentKafka) else {
            print("skipped: confluent-kafka is not installed")
            return
        }
        let cluster = try ClusterHarness(brokers: 3)
        defer { cluster.stopAll() }
        try cluster.startAll()
        try ClusterHarness.waitFor("3 registered brokers and a controller", seconds: 30) {
            let m = try ClusterProcessTests.metadata(cluster)
            return m.brokers.count == 3 && m.controllerId >= 0
        }
        _ = try ClientRunner.python("cluster_client.py", ["create", cluster.bootstrap, "orders", "3", "3", "2"], timeout: 60)
        let first = try ClientRunner.python("coordinator_failover.py", ["produce", cluster.bootstrap, "orders", "300"], timeout: 90)
        #expect(first.records.first?["delivered"] as? Int == 300, "\(first.stdout)")

        let group = "failover-group-\(groupProtocol)"
        let stopFile = cluster.directory + "/stop-members", markFile = cluster.directory + "/coordinator-killed"
        let outputs = (1...2).map { cluster.directory + "/member-\($0).out" }
        let members = try outputs.map { path -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", ClientRunner.clientsDirectory.appendingPathComponent("coordinator_failover.py").path,
                                 "member", cluster.bootstrap, "orders", group, stopFile, markFile, groupProtocol]
            // librdkafka's log lines go to a file of their own: two handles on one file overwrite each other.
            FileManager.default.createFile(atPath: path, contents: nil)
            FileManager.default.createFile(atPath: path + ".err", contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: path)
            process.standardError = FileHandle(forWritingAtPath: path + ".err")
            try process.run()
            return process
        }
        defer { for p in members where p.isRunning { p.terminate() } }
        try ClusterHarness.waitFor("the first 300 messages consumed", seconds: 60) { Events(outputs).distinct >= 300 }

        let killed = try Self.coordinator(cluster, group: group)
        FileManager.default.createFile(atPath: markFile, contents: nil)
        cluster.kill9(killed)
        let moved = try ClusterHarness.waitFor("a new coordinator", seconds: 20) {
            let now = try Self.coordinator(cluster, group: group, avoiding: [killed])
            return now >= 0 && now != killed
        }
        print("coordinator \(killed) killed; another broker coordinates the group after \(String(format: "%.2f", moved)) s")
        let second = try ClientRunner.python("coordinator_failover.py", ["produce", cluster.bootstrap, "orders", "300"], timeout: 90)
        #expect(second.records.first?["delivered"] as? Int == 300, "\(second.stdout)")
        let caughtUp = try? ClusterHarness.waitFor("all 600 messages consumed", seconds: 60) { Events(outputs).distinct >= 600 }

        FileManager.default.createFile(atPath: stopFile, contents: nil)
        for member in members { BrokerProcess.waitForExit(member, seconds: 30) }
        let events = Events(outputs)
        let perPartition = Dictionary(grouping: events.consumed, by: \.partition).mapValues { ($0.map(\.offset).max() ?? -1, $0.count) }
        let tails = outputs.map { (try? String(contentsOfFile: $0, encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: "\n") ?? "" }
        let diagnosis = "consumed \(events.distinct) of 600 (partition: last offset, reads \(perPartition))\n"
            + tails.joined(separator: "\n---\n") + "\n\(cluster.allLogs())"
        #expect(caughtUp != nil, "\(diagnosis)")
        if caughtUp == nil {
            let keep = FileManager.default.temporaryDirectory.appendingPathComponent("coordinator-failover-\(getpid())").path
            try? FileManager.default.copyItem(atPath: cluster.directory, toPath: keep)
            print("member outputs and broker logs kept in \(keep)")
        }
        #expect(events.summaries.count == 2, "both members ended cleanly: \(events.summaries)")
        for summary in events.summaries { #expect((summary["errors"] as? [String])?.isEmpty == true, "\(summary)") }
        // Nothing acknowledged before the kill was forgotten: after it, no member reads below the
        // offsets the old coordinator had acknowledged (a lost commit would restart from 0).
        var committed: [Int: Int] = [:]
        for k in events.commits where k.phase == 0 { committed[k.partition] = max(committed[k.partition] ?? 0, k.next) }
        #expect(committed.count == 3, "commits acknowledged before the kill on every partition: \(committed)")
        let reread = events.consumed.filter { $0.phase == 1 && $0.offset < (committed[$0.partition] ?? 0) }
        #expect(reread.isEmpty, "read again below acknowledged commits \(committed): \(reread.prefix(10))")
        #expect(events.commits.contains { $0.phase == 1 }, "commits acknowledged by the new coordinator")
        print("\(groupProtocol) group across the coordinator kill: \(events.distinct) messages, \(events.consumed.count) deliveries, "
              + "commit failures \(events.summaries.map { $0["commitFailures"] as? Int ?? -1 })")
    }
}
