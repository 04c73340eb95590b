import Foundation
import Testing
@testable import SluiceConsole

/// The Brokers view of the embedded cluster, in tmux at 170×40, shows each broker's own produce and
/// fetch p99 (from its `/metrics`), and they move under the demo load.
@Suite(.serialized, .onTestThreads) struct ConsoleLatencyTmuxTests {
    /// The text of the `header` column in the Brokers-view row of broker `id`: the row's characters
    /// under the header's (the p99 columns are right-aligned and as wide as their headers).
    static func cell(_ header: String, broker id: Int32, on screen: String) -> String? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        guard let head = lines.first(where: { String($0).contains(header) && String($0).contains("Address") }),
              let start = String(head).range(of: header).map({ String(head).distance(from: String(head).startIndex, to: $0.lowerBound) }),
              let row = lines.first(where: { line in
                  let fields = String(line).split(separator: " ")
                  return fields.count > 2 && fields[0] == Substring("\(id)") && fields[1].hasPrefix("127.0.0.1:")
              }), row.count >= start + header.count else { return nil }
        return String(row[start..<start + header.count]).trimmingCharacters(in: .whitespaces)
    }

    @Test func brokersShowServerSideP99ThatMovesUnderLoad() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await ConsoleTmuxTests.withConsole(dataDir: dataDir, brokers: 3, width: 170, height: 40) { tmux, console in
            try await tmux.waitFor("3 brokers up with a controller", seconds: 60) {
                $0.contains("brokers 3/3 up") && $0.firstMatch(of: #/controller [1-3] /#) != nil
            }
            #expect(ConsoleTmuxTests.brokers(of: console).count == 3)
            // The metrics ports are in cluster.json, where `sluice cluster status` finds them too.
            let layout = try String(contentsOfFile: dataDir + "/cluster.json", encoding: .utf8)
            #expect(layout.components(separatedBy: "\"metricsPort\"").count == 4, "\(layout)")

            try await tmux.send("l")  // the demo load: a producer and a consumer group
            func figures(_ screen: String) -> [String] {
                (1...3).flatMap { id in ["P99prod", "P99fetch"].compactMap { Self.cell($0, broker: Int32(id), on: screen) } }
            }
            let first = try await tmux.waitFor("produce and fetch p99 on the brokers", seconds: 60) { s in
                let produce = (1...3).compactMap { Self.cell("P99prod", broker: Int32($0), on: s) }
                let fetch = (1...3).compactMap { Self.cell("P99fetch", broker: Int32($0), on: s) }
                return produce.contains { $0.hasSuffix("s") } && fetch.contains { $0.hasSuffix("s") }
            }
            let seen = figures(first)
            try await tmux.waitFor("the p99 figures change", seconds: 30) { figures($0) != seen && !figures($0).isEmpty }
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 120)
        }
    }
}
