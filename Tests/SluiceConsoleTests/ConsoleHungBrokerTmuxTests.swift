import Foundation
import SluiceLocalCluster
import Testing
@testable import SluiceConsole

/// A broker that hangs without dying (SIGSTOP: its sockets still accept connections, nothing is
/// answered). The console keeps refreshing (its cluster-wide requests go to the brokers that answer),
/// the stopped broker's row says `slow`, and after SIGCONT it is `up` again. Part of the serialized
/// cluster suite, so that two three-broker clusters never run at once on the 2-core machine.
extension ConsoleClusterTmuxTests {
    @Test func aStoppedBrokerShowsSlowAndTheScreenKeepsRefreshing() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let started = Clocks.monotonic()
        try await ConsoleTmuxTests.withConsole(dataDir: dataDir, brokers: 3) { tmux, console in
            try await withTeardown { teardown in
                let ready = try await tmux.waitFor("3 brokers up with a controller", seconds: 60) {
                    $0.contains("brokers 3/3 up") && $0.firstMatch(of: #/controller [1-3] /#) != nil
                }
                let controller = try #require(ready.firstMatch(of: #/controller ([1-3]) /#).flatMap { Int32($0.output.1) })
                let members = try #require(LocalCluster(directory: dataDir).load()?.members)
                let victim = try #require(members.first { $0.id != controller && $0.pid > 0 })
                #expect(ConsoleTmuxTests.brokers(of: console).contains(victim.pid))

                print("console: stopping broker \(victim.id) (pid \(victim.pid)); the controller is \(controller)")
                kill(victim.pid, SIGSTOP)
                let stoppedAt = Clocks.monotonic()
                var stopped = true
                teardown.add {
                    // Never leave a broker stopped, whatever failed: continue it, then let the console (or,
                    // failing that, SIGKILL) end every broker it started.
                    if stopped { kill(victim.pid, SIGCONT) }
                    let pids = members.map(\.pid).filter { $0 > 0 }
                    _ = await eventually(timeout: .seconds(20), every: .milliseconds(100)) {
                        guard pids.contains(where: Processes.isRunning) else { return true }
                        if Processes.isRunning(console) { kill(console, SIGTERM) }
                        return false
                    }
                    for pid in pids where Processes.isRunning(pid) { kill(pid, SIGKILL) }
                }

                // Brokers view: the stopped broker's row says slow (not answering), the others stay up.
                try await tmux.send("1")
                try await tmux.waitFor("broker \(victim.id) slow", seconds: 20) { s in
                    Self.brokerRow(victim.id, on: s)?[2] == "slow" && Self.brokerRow(controller, on: s)?[2] == "up"
                }
                print("console: broker \(victim.id) slow \(Format.duration(Clocks.monotonic() - stoppedAt)) after SIGSTOP")

                // The screen keeps refreshing: a topic created with the CLI now (the CLI's own cluster-wide
                // requests avoid the stopped broker too) appears in the Topics view within a few seconds.
                let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let created = Clocks.monotonic()
                _ = try await TmuxSession.run(try ConsoleTmuxTests.sluiceBinary(), ["topic", "create", "while-stopped", "--partitions", "1",
                                                                              "--replication-factor", "1", "--bootstrap", bootstrap])
                print("console: the CLI created a topic in \(Format.duration(Clocks.monotonic() - created)) with broker \(victim.id) stopped")
                try await tmux.send("2")
                try await tmux.waitFor("the new topic's row", seconds: 15) { s in
                    s.split(separator: "\n").contains { $0.hasPrefix(" while-stopped ") }
                }
                print("console: the new topic was on screen \(Format.duration(Clocks.monotonic() - created)) after the CLI started")

                // Events: the topic's creation, and no poll failed ("Lost contact with the cluster") while
                // the broker was stopped.
                try await tmux.send("6")
                let events = try await tmux.waitFor("the topic's creation in Events", seconds: 10) { s in
                    s.contains("Topic while-stopped created")
                }
                #expect(!events.contains("Lost contact"), "a poll failed while broker \(victim.id) was stopped:\n\(events)")

                // SIGCONT: the broker answers again and its row returns to up.
                kill(victim.pid, SIGCONT)
                stopped = false
                let continued = Clocks.monotonic()
                try await tmux.send("1")
                try await tmux.waitFor("broker \(victim.id) up again", seconds: 30) { s in
                    s.contains("brokers 3/3 up") && Self.brokerRow(victim.id, on: s)?[2] == "up"
                }
                print("console: broker \(victim.id) up \(Format.duration(Clocks.monotonic() - continued)) after SIGCONT")

                try await tmux.send("q")
                try await tmux.waitFor("console exited 0", seconds: 40)
                print("console: hung-broker test took \(Format.duration(Clocks.monotonic() - started))")
            }
        }
    }
}
