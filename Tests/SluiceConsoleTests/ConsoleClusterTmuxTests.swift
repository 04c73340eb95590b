import Foundation
import Testing
@testable import SluiceConsole

/// The real `sluice` binary with its default embedded cluster of three brokers (a KRaft quorum of
/// three voters, real processes), in tmux at 120×40: an RF=3 topic is created, the leader of its
/// partition 0 is killed with `x` from the Brokers view, and the user sees the broker down, the
/// partition led by another broker, the leader move and the death in Events; `r` brings it back;
/// `a` adds a fourth, broker-only node; `q` stops them all with a controlled shutdown.
/// Not on the main actor (see ConsoleTmuxTests); `.serialized` keeps one three-broker console
/// cluster of this suite at a time.
@Suite(.serialized, .onTestThreads) struct ConsoleClusterTmuxTests {
    /// A Partitions-view row of `topic`: (partition, leader), or nil for other lines.
    static func partitionRow(_ line: Substring, topic: String) -> (partition: Int, leader: String)? {
        let fields = line.split(separator: " ")
        guard fields.count >= 3, fields[0] == topic, let partition = Int(fields[1]) else { return nil }
        return (partition, String(fields[2]))
    }

    static func leader(of partition: Int, topic: String, on screen: String) -> String? {
        screen.split(separator: "\n").compactMap { partitionRow($0, topic: topic) }.first { $0.partition == partition }?.leader
    }

    /// The Brokers-view row of broker `id`, split into fields (id, address, state, ...); the tab bar
    /// (" 1 Brokers  2 Topics ...") is not one.
    static func brokerRow(_ id: Int32, on screen: String) -> [Substring]? {
        screen.split(separator: "\n").map { $0.split(separator: " ") }.first {
            $0.count > 2 && $0[0] == Substring("\(id)") && $0[1].hasPrefix("127.0.0.1:")
        }
    }

    @Test func killingAPartitionLeaderMovesLeadershipAndTheBrokerComesBack() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let started = Clocks.monotonic()
        try await ConsoleTmuxTests.withConsole(dataDir: dataDir, brokers: 3) { tmux, console in
            try await tmux.waitFor("3 brokers up with a controller", seconds: 60) {
                $0.contains("brokers 3/3 up") && $0.firstMatch(of: #/controller [1-3] /#) != nil
            }
            print("console: 3 brokers up after \(Format.duration(Clocks.monotonic() - started)) (debug build)")
            #expect(ConsoleTmuxTests.brokers(of: console).count == 3)

            // An RF=3 topic, created by the CLI (the `n` form is driven by ConsoleTmuxTests).
            let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await TmuxSession.run(try ConsoleTmuxTests.sluiceBinary(), ["topic", "create", "moving", "--partitions", "3",
                                                                          "--replication-factor", "3", "--bootstrap", bootstrap])
            try await tmux.send("3")
            let placed = try await tmux.waitFor("the topic's partitions with leaders") { s in
                (0..<3).allSatisfy { Int(Self.leader(of: $0, topic: "moving", on: s) ?? "") != nil }
            }
            let victim = try #require(Int32(Self.leader(of: 0, topic: "moving", on: placed) ?? ""))
            print("console: killing broker \(victim), the leader of moving-0")

            // x on the leader's row of the Brokers view: the confirmation says leaders will move.
            try await tmux.send("1")
            try await tmux.waitFor("the Brokers view") { Self.brokerRow(3, on: $0) != nil }
            for _ in 0..<3 { try await tmux.send("k") }
            for _ in 1..<victim { try await tmux.send("j") }
            try await tmux.send("x")
            // The whole dialog (a capture can fall between the drawing of its first and last lines).
            let dialog = try await tmux.waitFor("Kill broker \(victim)'s dialog with the leaders that will move") { s in
                s.contains("Kill broker \(victim) with SIGKILL") && s.contains("Partition leaders that will move:")
            }
            let moving = dialog.firstMatch(of: /Partition leaders that will move: ([0-9]+)/).flatMap { Int($0.output.1) }
            #expect((moving ?? 0) >= 1, "the dialog should count partition 0's leadership:\n\(dialog)")
            try await tmux.send("y")
            try await tmux.waitFor("broker \(victim) down") { s in
                s.contains("brokers 2/3 up") && Self.brokerRow(victim, on: s)?[2] == "down"
            }

            // Partitions: partition 0 is led by another broker, within the session timeout (3 s) and a margin.
            try await tmux.send("3")
            try await tmux.waitFor("partition 0's leader moved off broker \(victim)", seconds: 20) { s in
                guard let leader = Int32(Self.leader(of: 0, topic: "moving", on: s) ?? "") else { return false }
                return leader != victim
            }

            // Events: the death and the leader move.
            try await tmux.send("6")
            try await tmux.waitFor("the events", seconds: 10) { s in
                s.contains("Broker \(victim) killed with SIGKILL") && s.contains("Broker \(victim) left the cluster")
                    && s.contains("Leader moved \(victim) → ")
            }

            // r on the same row: it restarts on its data and comes back up.
            try await tmux.send("1")
            try await tmux.send("r")
            try await tmux.waitFor("broker \(victim) up again", seconds: 60) { s in
                s.contains("brokers 3/3 up") && Self.brokerRow(victim, on: s)?[2] == "up"
            }
            #expect(ConsoleTmuxTests.brokers(of: console).count == 3)

            // a: broker 4 joins as a broker-only node (as `sluice cluster add-broker` adds one).
            try await tmux.send("a")
            try await tmux.waitFor("broker 4 up", seconds: 60) { s in
                s.contains("brokers 4/4 up") && Self.brokerRow(4, on: s)?[2] == "up"
            }
            let roles = try String(contentsOfFile: dataDir + "/broker-4.properties", encoding: .utf8)
            #expect(roles.contains("process.roles=broker\n") && roles.contains("node.id=4\n"))

            // q: every broker stops with a controlled shutdown; nothing is left; the data stays.
            let last = ConsoleTmuxTests.brokers(of: console)
            #expect(last.count == 4)
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 40)
            #expect(last.allSatisfy { !Processes.isRunning($0) })
            for id in 1...4 {
                let log = (try? String(contentsOfFile: dataDir + "/broker-\(id).log", encoding: .utf8)) ?? ""
                #expect(log.contains("controlled shutdown"), "broker \(id) did not stop with a controlled shutdown:\n\(log.suffix(1500))")
            }
            #expect(FileManager.default.fileExists(atPath: dataDir + "/broker-\(victim)/moving-0"))
        }
    }
}
