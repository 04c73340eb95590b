import Foundation
import Testing

/// Client quotas (KIP-546) against a real `sluice broker` process: set with `sluice quota`, then
/// enforced on kcat (librdkafka 2.0.2). The broker measures over `quota.window.num=2` samples of
/// 1 s: with Kafka's default of 11 a fresh client may first send 10 s worth of its quota at
/// once, which would swamp a test of a few seconds; the enforcement is the same.
@Suite(.serialized, .onTestThreads) struct QuotaInteropTests {
    static let megabyte = 1_048_576.0
    static let quotaWindow = ["--set", "quota.window.num=2", "--set", "quota.window.size.seconds=1"]

    /// `count` lines of `size` bytes (the newline included).
    static func lines(_ count: Int, size: Int) -> Data {
        let line = String(repeating: "q", count: size - 1) + "\n"
        return Data(String(repeating: line, count: count).utf8)
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"))
    func aProducerByteRateHoldsKcatToItsQuota() async throws {
        try await BrokerProcess.with(extraArguments: Self.quotaWindow) { broker in
            try await SluiceCLI.ok(["quota", "alter", "--client-id", "quota-kcat", "--add", "producer_byte_rate=1048576"],
                                   bootstrap: broker.bootstrap)
            let described = try SluiceCLI.json(try await SluiceCLI.ok(["quota", "describe", "--client-id", "quota-kcat", "--json"],
                                                                       bootstrap: broker.bootstrap)) as? [[String: Any]]
            #expect(described?.count == 1)
            #expect((described?.first?["entity"] as? [String: Any])?["client-id"] as? String == "quota-kcat")
            #expect((described?.first?["quotas"] as? [String: Double])?["producer_byte_rate"] == 1_048_576)

            // 16 MB of 1,000-byte records from kcat, which pipelines as fast as it can read.
            let payload = Self.lines(16_000, size: 1000)
            let started = ContinuousClock.now
            let output = try await ClientRunner.run("kcat", ["-P", "-b", broker.bootstrap, "-t", "quota-p", "-p", "0",
                                                             "-X", "client.id=quota-kcat", "-X", "linger.ms=5"],
                                                    input: payload, timeout: 120)
            let elapsed = (ContinuousClock.now - started).timeInterval
            try #require(output.status == 0, "kcat -P failed: \(output.stderr)")
            let rate = Double(payload.count) / elapsed / Self.megabyte
            print("quota 1 MB/s: kcat produced \(payload.count) bytes in \(String(format: "%.1f", elapsed)) s = \(String(format: "%.2f", rate)) MB/s")
            #expect(elapsed >= 8, "at least 8 s of sending")
            #expect(rate <= 1.2, "kcat produced \(rate) MB/s under a 1 MB/s quota")
            // Loose: the machine may be loaded.
            #expect(rate >= 0.3, "kcat produced only \(rate) MB/s under a 1 MB/s quota")

            // Every record arrived.
            let count = try await ClientRunner.run("kcat", ["-C", "-b", broker.bootstrap, "-t", "quota-p", "-p", "0", "-e",
                                                            "-o", "beginning", "-f", "%o\\n"], timeout: 120)
            #expect(count.lines.last == "15999")
        }
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"))
    func aConsumerByteRateHoldsKcatToItsQuota() async throws {
        try await BrokerProcess.with(extraArguments: Self.quotaWindow) { broker in
            let payload = Self.lines(10_000, size: 1000)
            let produced = try await ClientRunner.run("kcat", ["-P", "-b", broker.bootstrap, "-t", "quota-c", "-p", "0"],
                                                      input: payload, timeout: 120)
            try #require(produced.status == 0, "kcat -P failed: \(produced.stderr)")
            try await SluiceCLI.ok(["quota", "alter", "--client-id", "quota-kcat-c", "--add", "consumer_byte_rate=1048576"],
                                   bootstrap: broker.bootstrap)
            let started = ContinuousClock.now
            let output = try await ClientRunner.run("kcat", ["-C", "-b", broker.bootstrap, "-t", "quota-c", "-p", "0", "-e",
                                                             "-o", "beginning", "-X", "client.id=quota-kcat-c", "-f", "%o\\n"],
                                                    timeout: 120)
            let elapsed = (ContinuousClock.now - started).timeInterval
            try #require(output.status == 0, "kcat -C failed: \(output.stderr)")
            #expect(output.lines.count == 10_000 && output.lines.last == "9999")
            let rate = Double(payload.count) / elapsed / Self.megabyte
            print("quota 1 MB/s: kcat consumed \(payload.count) bytes in \(String(format: "%.1f", elapsed)) s = \(String(format: "%.2f", rate)) MB/s")
            #expect(rate <= 1.25, "kcat consumed \(rate) MB/s under a 1 MB/s quota")
            #expect(rate >= 0.3, "kcat consumed only \(rate) MB/s under a 1 MB/s quota")
        }
    }
}
