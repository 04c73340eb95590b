import Foundation
import Testing

/// Issue 15.3: no false fencing of a live broker under full load on this 2-core machine. Three
/// brokers as `sluice cluster up` starts them (its local-cluster timeouts: session 3 s,
/// heartbeats every 0.5 s, election 0.5 s), an RF=3 topic of 6 partitions, and `sluice bench
/// produce` with acks=all from two tasks as fast as the machine allows for 60 s — while the rest
/// of the test suite runs beside it. Afterwards every partition has the leader and leader epoch it
/// had before, the ISR is whole, and no broker log says a broker was fenced.
@Suite(.serialized, .onTestThreads) struct ClusterSoakTests {
    static func partitions(_ topic: String, bootstrap: String) async throws -> [[String: Int]] {
        let described = try await SluiceCLI.run(["topic", "describe", topic, "--json"], bootstrap: bootstrap)
        // Thrown, not recorded: the first calls may come before the new topic is known.
        guard described.status == 0, let json = try SluiceCLI.json(described) as? [String: Any] else {
            throw BrokerProcess.Failure(description: "topic describe \(topic): \(described.stderr)")
        }
        return (json["partitions"] as? [[String: Any]] ?? []).map { p in
            ["partition": p["partition"] as? Int ?? -1, "leader": p["leader"] as? Int ?? -1, "leaderEpoch": p["leaderEpoch"] as? Int ?? -1,
             "isr": (p["isr"] as? [Int])?.count ?? -1]
        }.sorted { $0["partition"]! < $1["partition"]! }
    }

    @Test func fullProduceLoadFencesNoLiveBroker() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-soak-\(UUID().uuidString.prefix(8))").path
        try await withResource(directory, stop: ClusterMembershipTests.clusterDown) { directory in
            let up = try await SluiceCLI.run(["cluster", "up", "--brokers", "3", "--data-dir", directory], bootstrap: nil, timeout: 120)
            try #require(up.status == 0, "\(up.stdout)\n\(up.stderr)")
            let bootstrap = try String(contentsOfFile: directory + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await SluiceCLI.ok(["topic", "create", "soak", "--partitions", "6", "--replication-factor", "3"], bootstrap: bootstrap)
            var before: [[String: Int]] = []
            try await ClusterHarness.waitFor("six partitions with three in-sync replicas", seconds: 30) {
                before = try await Self.partitions("soak", bootstrap: bootstrap)
                return before.count == 6 && before.allSatisfy { $0["isr"] == 3 && $0["leader"]! > 0 }
            }

            let started = Date()
            let bench = try await SluiceCLI.run(["bench", "produce", "--topic", "soak", "--duration", "60", "--acks", "all",
                                                 "--concurrency", "2", "--record-size", "512", "--json"],
                                                bootstrap: bootstrap, timeout: 240)
            let seconds = Date().timeIntervalSince(started)
            #expect(bench.status == 0, "\(bench.stdout)\n\(bench.stderr)")
            let summary = bench.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            print("soak: \(String(format: "%.0f", seconds)) s of acks=all produce: \(summary.prefix(400))")

            let after = try await Self.partitions("soak", bootstrap: bootstrap)
            #expect(after == before, "leaders or epochs moved under load:\nbefore \(before)\nafter  \(after)")
            let logs = (1...3).map { (try? String(contentsOfFile: "\(directory)/broker-\($0).log", encoding: .utf8)) ?? "" }
            let fencings = logs.flatMap { $0.split(separator: "\n") }.filter { $0.contains("fencing it") }
            #expect(fencings.isEmpty, "\(fencings.joined(separator: "\n"))")
        }
    }
}
