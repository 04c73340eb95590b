import Foundation
import Testing

/// `sluice cluster up` gives every broker a metrics endpoint (ports in cluster.json, printed by
/// `up` and `status`); Prometheus' own parser (python's prometheus_client) reads every broker's
/// `/metrics`, and the figures move with real traffic.
@Suite(.serialized, .onTestThreads) struct ClusterMetricsTests {
    struct Scrape {
        var contentType: String
        var families: Set<String>
        var samples: [String: Double]

        /// Sample and family names (a counter's family is named without `_total` by the parser).
        var names: Set<String> {
            families.union(samples.keys.map { String($0.prefix { $0 != "{" }) })
        }
    }

    static let parserAvailable = Clients.pythonModule("prometheus_client")

    static func scrape(_ url: String, openMetrics: Bool = false) async throws -> Scrape {
        let output = try await ClientRunner.python("scrape_metrics.py", [url] + (openMetrics ? ["openmetrics"] : []), timeout: 60)
        try #require(output.status == 0, "scrape of \(url) failed: \(output.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        return Scrape(contentType: json["content_type"] as? String ?? "",
                      families: Set(json["families"] as? [String] ?? []),
                      samples: (json["samples"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue })
    }

    /// The metric names the broker README documents (its metrics table, first column).
    static func documentedNames() throws -> [String] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SluiceBroker/README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `kafka_") || line.hasPrefix("| `sluice_") else { return nil }
            return line.dropFirst(3).prefix { $0 != "`" }.description
        }
    }

    @Test func everyBrokerOfAClusterUpServesMetricsAndHealth() async throws {
        guard Clients.shouldRun(Self.parserAvailable) else {
            print("skipped: python's prometheus_client is not installed")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-metrics-\(UUID().uuidString.prefix(8))").path
        try await withResource(directory, stop: { directory in
            _ = try? await SluiceCLI.run(["cluster", "down", "--data-dir", directory, "--grace", "5"], bootstrap: nil)
            try? FileManager.default.removeItem(atPath: directory)
        }) { directory in
            try await scenario(directory)
        }
    }

    private func scenario(_ directory: String) async throws {
        let up = try await SluiceCLI.run(["cluster", "up", "--brokers", "3", "--data-dir", directory], bootstrap: nil, timeout: 120)
        try #require(up.status == 0, "\(up.stdout)\n\(up.stderr)")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/cluster.json")))
            as? [String: Any])
        let members = try #require(state["members"] as? [[String: Any]])
        let ports = Dictionary(uniqueKeysWithValues: members.map { (($0["id"] as? Int) ?? 0, ($0["metricsPort"] as? Int) ?? 0) })
        #expect(ports.count == 3 && ports.values.allSatisfy { $0 > 0 }, "cluster.json: \(members)")
        let status = try await SluiceCLI.run(["cluster", "status", "--data-dir", directory], bootstrap: nil)
        for port in ports.values {
            #expect(up.stdout.contains("metrics http://127.0.0.1:\(port)/metrics"), "\(up.stdout)")
            #expect(status.stdout.contains("http://127.0.0.1:\(port)/metrics"), "\(status.stdout)")
        }
        let bootstrap = try String(contentsOfFile: directory + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        // Every broker: ready, live, parsable metrics with every documented name.
        let documented = try Self.documentedNames()
        #expect(documented.count >= 20, "the README's metrics table: \(documented)")
        var before: [Int: Scrape] = [:]
        for (id, port) in ports {
            try await ClusterHarness.waitFor("broker \(id) ready", seconds: 30) {
                (try? await ClientRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/health/ready"]))?
                    .stdout == "200"
            }
            let live = try await ClientRunner.run("curl", ["-s", "http://127.0.0.1:\(port)/health/live"])
            #expect(live.stdout == "live\n")
            let scrape = try await Self.scrape("http://127.0.0.1:\(port)/metrics")
            #expect(scrape.contentType.hasPrefix("text/plain; version=0.0.4"))
            let missing = documented.filter { !scrape.names.contains($0) }
            #expect(missing.isEmpty, "broker \(id) does not export \(missing)")
            #expect(scrape.samples["sluice_broker_ready{}"] == 1)
            before[id] = scrape
        }
        // One active controller in the cluster.
        #expect(before.values.map { $0.samples["kafka_controller_kafkacontroller_activecontrollercount{}"] ?? 0 }.reduce(0, +) == 1)
        // OpenMetrics, read by prometheus_client's OpenMetrics parser.
        let open = try await Self.scrape("http://127.0.0.1:\(ports[1]!)/metrics", openMetrics: true)
        #expect(open.contentType.hasPrefix("application/openmetrics-text"))
        #expect(open.families.contains("kafka_server_brokertopicmetrics_messagesin"))

        // 50 records to a one-partition topic: its leader's messages-in grows by 50.
        try await SluiceCLI.ok(["topic", "create", "watched", "-p", "1", "-r", "3"], bootstrap: bootstrap)
        let input = (0..<50).map { "record-\($0)" }.joined(separator: "\n") + "\n"
        try await SluiceCLI.ok(["produce", "watched"], bootstrap: bootstrap, input: input)
        let key = "kafka_server_brokertopicmetrics_messagesin_total{topic=watched}"
        var after: [Int: Scrape] = [:]
        try await ClusterHarness.waitFor("50 records counted", seconds: 30) {
            after = [:]
            for (id, port) in ports { after[id] = try await Self.scrape("http://127.0.0.1:\(port)/metrics") }
            return after.values.map { $0.samples[key] ?? 0 }.reduce(0, +) == 50
        }
        let leaders = after.filter { ($0.value.samples[key] ?? 0) > 0 }
        #expect(leaders.count == 1, "only the leader appends produced records: \(after.mapValues { $0.samples[key] ?? 0 })")
        if let leader = leaders.first {
            #expect((leader.value.samples["kafka_server_brokertopicmetrics_bytesin_total{topic=watched}"] ?? 0) > 50 * 8)
            #expect((leader.value.samples["kafka_network_requestmetrics_requests_total{request=Produce}"] ?? 0)
                    > (before[leader.key]?.samples["kafka_network_requestmetrics_requests_total{request=Produce}"] ?? 0))
            #expect((leader.value.samples["kafka_server_replicamanager_leadercount{}"] ?? 0) >= 1)
        }
        // Unknown paths are 404s, and the broker goes on.
        let missing = try await ClientRunner.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(ports[2]!)/nope"])
        #expect(missing.stdout == "404")
    }
}
