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

    /// `sluice quota alter|describe` on every kind of entity, and its errors.
    @Test func quotaCommandsManageUsersClientIdsAndDefaults() async throws {
        try await BrokerProcess.with { broker in
            func run(_ arguments: [String]) async throws -> ClientRunner.Output {
                try await SluiceCLI.run(["quota"] + arguments, bootstrap: broker.bootstrap)
            }
            let altered = try await SluiceCLI.ok(["quota", "alter", "--user", "alice", "--client-id-default",
                                                  "--add", "consumer_byte_rate=2097152,producer_byte_rate=1048576"],
                                                 bootstrap: broker.bootstrap)
            #expect(altered.stdout.contains("altered quotas of user=alice,client-id=<default>: consumer_byte_rate=2097152, producer_byte_rate=1048576"))
            try await SluiceCLI.ok(["quota", "alter", "--user-default", "--add", "producer_byte_rate=10485760"], bootstrap: broker.bootstrap)
            try await SluiceCLI.ok(["quota", "alter", "--client-id", "etl", "--add", "producer_byte_rate=5", "--validate-only"],
                                   bootstrap: broker.bootstrap)
            let table = try await SluiceCLI.ok(["quota", "describe"], bootstrap: broker.bootstrap).lines
            #expect(table.first?.hasPrefix("ENTITY") == true)
            #expect(table.contains { $0.hasPrefix("user=<default>") && $0.contains("producer_byte_rate") && $0.hasSuffix("10485760") })
            #expect(table.filter { $0.hasPrefix("user=alice,client-id=<default>") }.count == 2)
            #expect(!table.contains { $0.contains("etl") }, "validate-only kept nothing")
            try await SluiceCLI.ok(["quota", "alter", "--user", "alice", "--client-id-default", "--delete", "producer_byte_rate"],
                                   bootstrap: broker.bootstrap)
            let json = try SluiceCLI.json(try await SluiceCLI.ok(["quota", "describe", "--user", "alice", "--client-id-default", "--json"],
                                                                 bootstrap: broker.bootstrap)) as? [[String: Any]]
            #expect(json?.count == 1)
            #expect(json?.first?["quotas"] as? [String: Double] == ["consumer_byte_rate": 2_097_152])
            #expect(try await SluiceCLI.ok(["quota", "describe", "--user", "bob"], bootstrap: broker.bootstrap).stdout
                        .contains("no client quotas"))

            // The broker's refusals exit 1 with its reason; bad usage exits 64.
            let fractional = try await run(["alter", "--client-id", "etl", "--add", "producer_byte_rate=0.5"])
            #expect(fractional.status == 1 && fractional.stderr.contains("must be a Long value"), "\(fractional.stderr)")
            let unsupported = try await run(["alter", "--client-id", "etl", "--add", "request_percentage=50"])
            #expect(unsupported.status == 1 && unsupported.stderr.contains("not supported"), "\(unsupported.stderr)")
            let unknown = try await run(["alter", "--client-id", "etl", "--add", "retention.ms=5"])
            #expect(unknown.status == 1 && unknown.stderr.contains("Invalid configuration key retention.ms"), "\(unknown.stderr)")
            #expect(try await run(["alter", "--add", "producer_byte_rate=5"]).status == 64)
            #expect(try await run(["alter", "--client-id", "etl", "--add", "producer_byte_rate"]).status == 64)
            #expect(try await run(["alter", "--user", "a", "--user-default", "--add", "producer_byte_rate=5"]).status == 64)
        }
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

            // 16 MB of 1,000-byte records from kcat, which pipelines as fast as it can read. The
            // measure ends with the last acknowledgement, before the throttle time that last
            // request earned, and includes the first window's worth sent unthrottled: batches of
            // 128 KB keep the first small (1 MB batches measure about 1.15 MB/s for the same
            // enforcement).
            let payload = Self.lines(16_000, size: 1000)
            let started = ContinuousClock.now
            let output = try await ClientRunner.run("kcat", ["-P", "-b", broker.bootstrap, "-t", "quota-p", "-p", "0",
                                                             "-X", "client.id=quota-kcat", "-X", "linger.ms=5",
                                                             "-X", "batch.size=131072"],
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
