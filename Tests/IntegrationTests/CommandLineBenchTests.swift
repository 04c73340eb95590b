import Foundation
import Testing

/// `sluice bench produce|consume|e2e` with small counts: the numbers they report are about the
/// records they really moved.
@Suite(.serialized) struct CommandLineBenchTests {
    @Test func benchProduceConsumeAndE2E() throws {
        let b = try SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-bench")
        let produce = try SluiceCLI.json(try SluiceCLI.ok(
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
        let described = try SluiceCLI.json(try SluiceCLI.ok(["topic", "describe", topic, "--json"], bootstrap: b)) as! [String: Any]
        let stored = (described["partitions"] as! [[String: Any]]).map { $0["latestOffset"] as! Int }.reduce(0, +)
        #expect(stored == 20_000)

        let consume = try SluiceCLI.json(try SluiceCLI.ok(["bench", "consume", "--topic", topic, "--concurrency", "2", "--json"], bootstrap: b)) as! [String: Any]
        #expect(consume["records"] as? Int == 20_000)
        #expect(consume["bytes"] as? Int == 20_000 * 200)

        let e2e = try SluiceCLI.json(try SluiceCLI.ok(["bench", "e2e", "--topic", topic, "--records", "200", "--json"], bootstrap: b)) as! [String: Any]
        #expect(e2e["records"] as? Int == 200)
        #expect((e2e["latencyMs"] as! [String: Any])["count"] as? Int == 200)

        // The table form, and the progress line on standard error.
        let table = try SluiceCLI.ok(["bench", "produce", "--topic", topic, "--duration", "1.5"], bootstrap: b)
        #expect(table.lines.contains { $0.hasPrefix("RECORDS") && $0.contains("P99.9 MS") })
        #expect(table.stderr.contains("records/s now"))
    }
}
