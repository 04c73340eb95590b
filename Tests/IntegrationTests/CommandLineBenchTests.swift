import Foundation
import Testing

/// `sluice bench produce|consume|e2e` with small counts: the numbers they report are about the
/// records they really moved.
@Suite(.serialized, .onTestThreads) struct CommandLineBenchTests {
    @Test func benchProduceConsumeAndE2E() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-bench")
        let produce = try SluiceCLI.json(try await SluiceCLI.ok(
            ["bench", "produce", "--topic", topic, "--records", "20000", "--record-size", "200", "--partitions", "3",
             "--concurrency", "2", "--acks", "all", "--linger-ms", "2", "--json"], bootstrap: b)) as! [String: Any]
        #expect(produce["records"] as? Int == 20_000)
        #expect(produce["bytes"] as? Int == 20_000 * 200)
        #expect(produce["errors"] as? Int == 0)
        let latency = produce["latencyMs"] as! [String: Any]
        #expect(latency["count"] as? Int == 20_000)
        let p50 = latency["p50"] as! Double, p99 = latency["p99"] as! Double, max = latency["max"] as! Double
        #expect(p50 > 0 && p50 <= p99 && p99 <= max)
        #expect((produce["recordsPerSecond"] as! Double) > 0)
        let described = try SluiceCLI.json(try await SluiceCLI.ok(["topic", "describe", topic, "--json"], bootstrap: b)) as! [String: Any]
        let stored = (described["partitions"] as! [[String: Any]]).map { $0["latestOffset"] as! Int }.reduce(0, +)
        #expect(stored == 20_000)

        let consume = try SluiceCLI.json(try await SluiceCLI.ok(["bench", "consume", "--topic", topic, "--concurrency", "2", "--json"], bootstrap: b)) as! [String: Any]
        #expect(consume["records"] as? Int == 20_000)
        #expect(consume["bytes"] as? Int == 20_000 * 200)

        let e2e = try SluiceCLI.json(try await SluiceCLI.ok(["bench", "e2e", "--topic", topic, "--records", "200", "--json"], bootstrap: b)) as! [String: Any]
        #expect(e2e["records"] as? Int == 200)
        #expect((e2e["latencyMs"] as! [String: Any])["count"] as? Int == 200)

        // The table form, and the progress line on standard error.
        let table = try await SluiceCLI.ok(["bench", "produce", "--topic", topic, "--duration", "1.5"], bootstrap: b)
        #expect(table.lines.contains { $0.hasPrefix("RECORDS") && $0.contains("P99.9 MS") })
        #expect(table.stderr.contains("records/s now"))
    }

    /// On a fresh 3-broker cluster, `bench e2e` creates its topic and measures on the first try:
    /// it waits until every partition's leader serves the new topic. linger.ms is 0 as in Kafka's
    /// EndToEndLatency. With a background load, a second producer writes meanwhile.
    @Test func benchE2EWorksOnAFreshClusterAndUnderLoad() async throws {
        let outputs = try await ClusterHarness.with(brokers: 3) { cluster -> [String: ClientRunner.Output] in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 brokers and a controller", seconds: 60) {
                let m = try await ClusterProcessTests.metadata(cluster)
                return m.brokers.count == 3 && m.controllerId >= 0
            }
            var outputs: [String: ClientRunner.Output] = [:]
            // Three fresh topics, each measured at once after its creation (each run used to fail
            // more often than not with UNKNOWN_TOPIC_OR_PARTITION).
            for run in 1...3 {
                outputs["fresh-\(run)"] = try await SluiceCLI.run(
                    ["bench", "e2e", "--topic", "fresh-\(run)", "--partitions", "3", "--records", "100", "--json"],
                    bootstrap: cluster.bootstrap, timeout: 120)
            }
            outputs["describe fresh-1"] = try await SluiceCLI.run(["topic", "describe", "fresh-1", "--json"], bootstrap: cluster.bootstrap)
            outputs["loaded"] = try await SluiceCLI.run(["bench", "e2e", "--topic", "loaded", "--records", "200", "--background-mb-per-sec", "1",
                                                   "--background-record-size", "1000", "--json"], bootstrap: cluster.bootstrap, timeout: 120)
            outputs["describe loaded-background"] = try await SluiceCLI.run(["topic", "describe", "loaded-background", "--json"],
                                                                      bootstrap: cluster.bootstrap)
            return outputs
        }
        func json(_ name: String) throws -> [String: Any] {
            let output = try #require(outputs[name])
            try #require(output.status == 0, "\(name): \(output.stderr)")
            return try #require(try SluiceCLI.json(output) as? [String: Any], "\(name): \(output.stdout)")
        }
        for run in 1...3 {
            let result = try json("fresh-\(run)")
            #expect(result["records"] as? Int == 100)
            let settings = result["settings"] as? [String: Any]
            #expect(settings?["lingerMs"] as? Int == 0)
            #expect(settings?["acks"] as? Int == 1)
        }
        let described = try json("describe fresh-1")
        #expect((described["partitions"] as? [[String: Any]])?.allSatisfy { ($0["replicas"] as? [Any])?.count == 3 } == true,
                "the broker's default replication factor: \(described)")

        let result = try json("loaded")
        #expect(result["records"] as? Int == 200)
        let background = try #require(result["background"] as? [String: Any], "\(result)")
        #expect(background["topic"] as? String == "loaded-background")
        #expect(background["errors"] as? Int == 0)
        let written = try #require(background["records"] as? Int)
        #expect(written > 0)
        let stored = try json("describe loaded-background")
        #expect((stored["partitions"] as? [[String: Any]])?.compactMap { $0["latestOffset"] as? Int }.reduce(0, +) == written)
    }

    /// `bench produce --throughput`: the rate is held (at most), like kafka-producer-perf-test's.
    @Test func benchProduceHoldsTheThroughputItIsGiven() async throws {
        let b = try await SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-rate")
        let output = try await SluiceCLI.run(["bench", "produce", "--topic", topic, "--records", "800", "--throughput", "400", "--concurrency", "2",
                                             "--json"], bootstrap: b)
        try #require(output.status == 0, "\(output.stderr)")
        let produce = try #require(try SluiceCLI.json(output) as? [String: Any])
        #expect(produce["records"] as? Int == 800)
        // 800 records at 400 a second take two seconds at least, however fast the machine.
        let rate = try #require(produce["recordsPerSecond"] as? Double)
        #expect(rate <= 440, "\(produce)")
        #expect((produce["settings"] as? [String: Any])?["throughput"] as? Double == 400)
    }
}
