import Foundation
import Testing

/// `sluice verify`, the fault-tolerance audit, run for real: a new local cluster of 3 broker
/// processes, an idempotent acks=all producer and a reader, and a broker SIGKILLed every few
/// seconds. Nothing acknowledged may be lost or read out of order, and no broker may be left
/// running afterwards.
@Suite(.serialized, .onTestThreads) struct VerifyCommandTests {
    @Test func shortAuditWithKillsLosesNothing() async throws {
        let output = try await SluiceCLI.run(["verify", "--duration", "15", "--kill-every", "5", "--down-for", "2.5", "--seed", "11",
                                        "--rate", "600", "--json"], bootstrap: nil, timeout: 180)
        #expect(output.status == 0, "verify failed:\n\(output.stdout)\n\(output.stderr.suffix(4000))")
        let report = try #require(try? SluiceCLI.json(output) as? [String: Any], "not JSON:\n\(output.stdout)\n\(output.stderr)")
        #expect(report["passed"] as? Bool == true)
        #expect(report["caughtUp"] as? Bool == true)
        let kills = report["kills"] as? Int ?? 0
        #expect(kills >= 2, "a kill every 5 s in 15 s")
        #expect(report["restarts"] as? Int == kills)
        let partitions = try #require(report["partitions"] as? [[String: Any]])
        #expect(partitions.count == 3)
        for p in partitions {
            let acknowledged = p["acknowledged"] as? Int ?? -1
            #expect(acknowledged > 500, "every partition kept taking writes: \(p)")
            #expect(p["lost"] as? Int == 0 && p["outOfOrder"] as? Int == 0, "\(p)")
            #expect((p["consumed"] as? Int ?? 0) >= acknowledged, "\(p)")
            #expect((p["produced"] as? Int ?? 0) >= acknowledged, "\(p)")
            let failed = p["failed"] as? Int ?? -1, unanswered = p["unanswered"] as? Int ?? -1
            #expect(failed >= 0 && unanswered >= 0 && acknowledged + failed + unanswered == p["produced"] as? Int, "\(p)")
        }
        // The cluster verify started is gone: its brokers were stopped (their pids were in the log).
        let pids = output.stderr.split(separator: "\n").compactMap { line -> Int32? in
            guard let range = line.range(of: "(pid ") else { return nil }
            return Int32(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(!pids.isEmpty)
        for pid in pids { #expect(kill(pid, 0) != 0, "broker pid \(pid) still running") }
    }
}
