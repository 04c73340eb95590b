import Foundation
import Testing
@testable import SluiceConsole

/// The Brokers view of the embedded cluster, in tmux at 170×40, names the client its broker
/// throttles: a `producer_byte_rate` of 100 KB/s set with `sluice quota`, and kcat producing
/// 3 MB under that client id (which the broker holds back: it takes over 5 s).
@Suite(.serialized, .onTestThreads) struct ConsoleQuotaTmuxTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat"), "kcat is not installed"))
    func brokersNameTheClientsTheyThrottle() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await ConsoleTmuxTests.withConsole(dataDir: dataDir, brokers: 1, width: 170, height: 40) { tmux, _ in
            try await tmux.waitFor("brokers 1/1 up")
            let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let sluice = try ConsoleTmuxTests.sluiceBinary()
            try await TmuxSession.run(sluice, ["quota", "alter", "--bootstrap", bootstrap, "--client-id", "tmux-throttled",
                                               "--add", "producer_byte_rate=102400"])
            let payload = String(repeating: String(repeating: "t", count: 999) + "\n", count: 3000)
            let started = ContinuousClock.now
            async let produced = TmuxSession.run("/usr/bin/kcat", ["-P", "-b", bootstrap, "-t", "tmux-quota", "-p", "0",
                                                                   "-X", "client.id=tmux-throttled"], input: payload)
            let screen = try await tmux.waitFor("the throttled client on broker 1", seconds: 60) { screen in
                ConsoleLatencyTmuxTests.cell("Throttled", broker: 1, on: screen)?.hasPrefix("tmux-thr") == true
            }
            #expect(screen.contains("tmux-throttled"), "\(screen)")
            _ = try await produced
            let took = ContinuousClock.now - started
            print("kcat produced 3 MB under a 100 KB/s quota in \(took)")
            // Held by the broker (0.3 s without a quota). With Kafka's default windows the first
            // 10 s worth (1 MB) passes at once and a sample is forgotten after 11 s, so 3 MB take
            // 10-25 s depending on kcat's batches.
            #expect(took >= .seconds(5), "kcat produced 3 MB in \(took) under a 100 KB/s quota")
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 120)
        }
    }
}
