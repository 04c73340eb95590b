import Foundation

/// The end of `sluice verify`: one row per partition and a verdict.
struct VerifyReport {
    let ledgers: [PartitionLedger]
    let kills: Int
    let restarts: Int
    let seed: UInt64
    let duration: Double
    /// Whether the reader reached every partition's last acknowledged record.
    let caughtUp: Bool

    var lost: Int { ledgers.reduce(0) { $0 + $1.lost.count } }
    var outOfOrder: Int { ledgers.reduce(0) { $0 + $1.outOfOrder } }
    var duplicated: Int { ledgers.reduce(0) { $0 + $1.duplicated } }
    /// Records whose write the producer was told failed.
    var failed: Int { ledgers.reduce(0) { $0 + $1.failed } }
    /// Records with neither an acknowledgement nor a failure when the producer closed.
    var unanswered: Int { ledgers.reduce(0) { $0 + $1.unanswered } }
    var passed: Bool { lost == 0 && outOfOrder == 0 }

    var table: String {
        var table = TablePrinter(["PARTITION", "PRODUCED", "ACKNOWLEDGED", "FAILED", "CONSUMED", "LOST", "DUPLICATED",
                                  "OUT OF ORDER", "LONGEST UNAVAILABLE"], alignments: Array(repeating: .right, count: 9))
        for (p, l) in ledgers.enumerated() {
            table.add([String(p), String(l.produced), String(l.acknowledged.count), String(l.failed), String(l.consumed.count),
                       String(l.lost.count), String(l.duplicated), String(l.outOfOrder), String(format: "%.1f s", l.longestUnavailable)])
        }
        table.add(["all", String(ledgers.reduce(0) { $0 + $1.produced }), String(ledgers.reduce(0) { $0 + $1.acknowledged.count }),
                   String(failed), String(ledgers.reduce(0) { $0 + $1.consumed.count }), String(lost), String(duplicated),
                   String(outOfOrder), String(format: "%.1f s", ledgers.map(\.longestUnavailable).max() ?? 0)])
        var lines = [table.render(), ""]
        lines.append("\(kills) broker kill(s), \(restarts) restart(s) in \(Int(duration)) s; seed \(seed)")
        lines.append("(failed: the producer was told the write did not happen; \(unanswered) record(s) "
                     + "had no answer yet when the producer closed)")
        for (p, l) in ledgers.enumerated() {
            if let first = l.firstFailure {
                lines.append("partition \(p): \(l.failed) failed, the first at \(String(format: "%.1f", first.at)) s: \(first.error)")
            }
        }
        for (p, l) in ledgers.enumerated() where !l.lost.isEmpty {
            lines.append("partition \(p) lost: " + l.lost.prefix(20).map { "\($0)@\(l.acknowledged[$0]!)" }.joined(separator: ", ")
                         + (l.lost.count > 20 ? ", ..." : ""))
        }
        if !caughtUp { lines.append("the reader did not reach every acknowledged record within 60 s") }
        lines.append(passed ? "PASSED: nothing acknowledged was lost, nothing was read out of order"
                            : "FAILED: \(lost) acknowledged record(s) lost, \(outOfOrder) read out of order")
        return lines.joined(separator: "\n")
    }

    var json: String {
        let partitions: [[String: Any]] = ledgers.enumerated().map { p, l in
            ["partition": p, "produced": l.produced, "acknowledged": l.acknowledged.count, "failed": l.failed,
             "unanswered": l.unanswered, "firstFailure": l.firstFailure.map { $0.error as Any } ?? NSNull(), "consumed": l.consumed.count,
             "lost": l.lost.count, "duplicated": l.duplicated, "outOfOrder": l.outOfOrder,
             "longestUnavailableSeconds": (l.longestUnavailable * 10).rounded() / 10]
        }
        let object: [String: Any] = ["passed": passed, "seed": seed, "kills": kills, "restarts": restarts,
                                     "caughtUp": caughtUp, "partitions": partitions]
        return JSON.encode(object, pretty: true)
    }
}
