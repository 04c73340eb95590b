import Foundation
import SluiceLocalCluster
import Testing
@testable import SluiceConsole

/// Losing the metadata quorum in the real console (three voters, real processes, tmux 120×40),
/// the incident of issue 21: with the demo load on and an RF=3 topic, `x` kills the controller and
/// then a second voter (whose dialog says the quorum will be lost). The header says "no quorum —
/// metadata frozen since …", counts the partitions led by the dead brokers as offline, names no
/// controller, and the demo load says it is retrying. `p` writes a message to a partition the
/// survivor leads: no answer in time, "may have been written". `r` on both brings the quorum back:
/// the header clears, a controller is named, the message is there exactly once, and the demo group
/// consumes again by itself. Then two
/// voters die again and `q` quits at once, showing each broker's progress.
/// Part of the serialized cluster suite, so that two three-broker clusters never run at once.
extension ConsoleClusterTmuxTests {
    /// The header's offline count.
    static func offline(_ screen: String) -> Int? {
        screen.firstMatch(of: /offline ([0-9]+)/).flatMap { Int($0.output.1) }
    }

    /// `p`, then the form filled in: topic frozen, `partition`, no key, `value`; Enter sends.
    static func produce(_ tmux: TmuxSession, _ value: String, partition: Int) async throws {
        try await tmux.send("p")
        try await tmux.waitFor("the produce dialog") { $0.contains("Produce a message") }
        try await tmux.send("C-u")
        try await tmux.send("frozen", literal: true)
        try await tmux.send("Tab", "C-u")
        try await tmux.send("\(partition)", literal: true)
        try await tmux.send("Tab", "Tab")
        try await tmux.send(value, literal: true)
        try await tmux.send("Enter")
    }

    /// Selects broker `id`'s row on the Brokers view (rows are sorted by id).
    static func select(_ tmux: TmuxSession, broker id: Int32) async throws {
        try await tmux.send("1", "g")
        for _ in 1..<id { try await tmux.send("j") }
    }

    @Test func losingTheQuorumIsSaidAndItsReturnClearsIt() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let started = Clocks.monotonic()
        try await ConsoleTmuxTests.withConsole(dataDir: dataDir, brokers: 3) { tmux, console in
            defer {
                if Processes.isRunning(console) { kill(console, SIGTERM) }
            }
            let ready = try await tmux.waitFor("3 brokers up with a controller", seconds: 60) {
                $0.contains("brokers 3/3 up") && $0.firstMatch(of: #/controller [1-3] /#) != nil
            }
            let controller = try #require(ready.firstMatch(of: #/controller ([1-3]) /#).flatMap { Int32($0.output.1) })
            let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            // "3/3 up" counts processes; the third may register a moment later (RF 3 is refused till then).
            _ = try await poll(until: "an RF=3 topic created", timeout: .seconds(30), every: .milliseconds(250)) {
                do {
                    _ = try await TmuxSession.run(try ConsoleTmuxTests.sluiceBinary(), ["topic", "create", "frozen", "--partitions", "6",
                                                                                      "--replication-factor", "3", "--bootstrap", bootstrap])
                    return true
                } catch {
                    return "\(error)".contains("TOPIC_ALREADY_EXISTS")
                }
            }
            // The demo load: its group consumes.
            try await tmux.send("l", "4")
            try await tmux.waitFor("the demo group consuming", seconds: 60) { s in
                s.split(separator: "\n").contains { $0.contains("sluice-demo-readers") && $0.contains(" Stable ") }
            }

            let second: Int32 = controller == 1 ? 2 : 1
            // A partition of "frozen" the surviving voter leads: a write to it during the outage is
            // appended there but cannot be committed (no quorum to shrink the ISR).
            let survivor = try #require(Set<Int32>([1, 2, 3]).subtracting([controller, second]).first)
            let sluice = try ConsoleTmuxTests.sluiceBinary()
            var outagePartition: Int?
            _ = try await poll(until: "a partition of frozen led by broker \(survivor)", timeout: .seconds(30), every: .milliseconds(500)) {
                let described = try await TmuxSession.run(sluice, ["topic", "describe", "frozen", "--json", "--bootstrap", bootstrap])
                let json = try JSONSerialization.jsonObject(with: Data(described.utf8)) as? [String: Any]
                let partitions = json?["partitions"] as? [[String: Any]] ?? []
                outagePartition = partitions.first { $0["leader"] as? Int == Int(survivor) }?["partition"] as? Int
                return outagePartition != nil
            }
            let partition = try #require(outagePartition)

            // The produce dialog's producer gets its producer id while the quorum is there.
            try await Self.produce(tmux, "before the outage", partition: partition)
            try await tmux.waitFor("the first message produced", seconds: 30) { $0.contains("Produced to frozen-\(partition) at offset") }

            // x on the controller: another voter takes over.
            try await Self.select(tmux, broker: controller)
            try await tmux.send("x")
            try await tmux.waitFor("the controller's kill dialog") { $0.contains("It is the active controller: another voter takes over") }
            try await tmux.send("y")
            try await tmux.waitFor("a new controller", seconds: 30) { s in
                guard let c = s.firstMatch(of: #/controller ([1-3]) /#).flatMap({ Int32($0.output.1) }) else { return false }
                return c != controller && s.contains("brokers 2/3 up")
            }
            // x on a second voter: the dialog says the quorum will be lost, not that someone takes over.
            try await Self.select(tmux, broker: second)
            try await tmux.send("x")
            let dialog = try await tmux.waitFor("the quorum-losing kill dialog") { $0.contains("y kill") && $0.contains("Kill broker \(second)") }
            #expect(dialog.contains("The cluster loses its metadata quorum") && !dialog.contains("another"), "\(dialog)")
            try await tmux.send("y")
            let lostAt = Clocks.monotonic()

            // The header: no quorum, no controller, the dead leaders' partitions offline.
            let frozen = try await tmux.waitFor("no quorum with offline partitions", seconds: 20) { s in
                s.contains("no quorum — metadata frozen since") && (Self.offline(s) ?? 0) > 0 && s.contains("brokers 1/3 up")
            }
            print("console: 'no quorum' \(Format.duration(Clocks.monotonic() - lostAt)) after the second kill")
            #expect(!frozen.contains("controller ") && !frozen.contains("★"), "\(frozen)")
            try await tmux.send("3")
            try await tmux.waitFor("leaders shown down in Partitions", seconds: 10) { $0.contains(" \(second) down ") || $0.contains(" \(controller) down ") }
            // The demo load says it cannot work while the quorum is gone.
            try await tmux.waitFor("the demo load retrying", seconds: 60) { $0.contains("demo load retrying") || $0.contains("Demo load retrying") }

            // p during the outage (issue 21's "outage msg"): acks=all cannot be met, the dialog says
            // the message may have been written; the idempotent producer's retries add no copy.
            try await Self.produce(tmux, "outage msg", partition: partition)
            let unsure = try await tmux.waitFor("the produce answered as maybe written", seconds: 90) {
                // (the dialog wraps the text: "may have been" ends a line)
                $0.contains("No answer in time") || $0.contains("may have been")
            }
            #expect(!unsure.contains("Produced to frozen") && !unsure.contains("InitProducerId"), "\(unsure)")
            try await tmux.send("Escape")

            // r on both: the quorum returns, a controller is named, nothing is offline.
            try await Self.select(tmux, broker: controller)
            try await tmux.send("r")
            try await Self.select(tmux, broker: second)
            try await tmux.send("r")
            let back = Clocks.monotonic()
            try await tmux.waitFor("the quorum back", seconds: 90) { s in
                !s.contains("no quorum") && s.contains("brokers 3/3 up") && Self.offline(s) == 0
                    && s.firstMatch(of: #/controller [1-3] /#) != nil
            }
            print("console: quorum back \(Format.duration(Clocks.monotonic() - back)) after the restarts")
            // Once the followers are back the write is committed: exactly one copy (five before
            // the console's producer used acks=all with idempotence).
            var copies = 0
            _ = try await poll(until: "the outage message committed, \(copies) copies so far", timeout: .seconds(60), every: .milliseconds(500)) {
                let read = try await TmuxSession.run(sluice, ["consume", "frozen", "-p", "\(partition)", "--from-beginning", "-e",
                                                              "--bootstrap", bootstrap])
                copies = read.split(separator: "\n").filter { $0 == "outage msg" }.count
                return copies > 0
            }
            #expect(copies == 1, "copies of the message produced during the outage: \(copies)")
            // The demo load recovers by itself: its group is Stable and consumes again.
            try await tmux.send("4")
            try await tmux.waitFor("the demo group consuming again", seconds: 120) { s in
                !s.contains("demo load retrying") && s.split(separator: "\n").contains { line in
                    let fields = line.split(separator: " ")
                    return fields.first == "sluice-demo-readers" && fields.contains("Stable") && fields.count > 5 && fields[5] != "0"
                }
            }
            print("console: the demo group consumed again \(Format.duration(Clocks.monotonic() - back)) after the restarts")
            try await tmux.send("6")
            let events = try await tmux.waitFor("the quorum's loss and return in Events", seconds: 10) { s in
                s.contains("Metadata quorum lost: 2 of 3 voters down") && s.contains("Metadata quorum restored")
            }
            // The dead controller was said to be down, not named again.
            #expect(events.contains("No active controller (broker \(controller), the last one named, is down)"), "\(events)")

            // Two voters die again; q quits, showing each broker's progress, without waiting for the
            // controlled shutdown no quorum can confirm.
            for id in [controller, second] {
                try await Self.select(tmux, broker: id)
                try await tmux.send("x", "y")
            }
            try await tmux.waitFor("no quorum again", seconds: 20) { $0.contains("no quorum") && $0.contains("brokers 1/3 up") }
            let quitting = Clocks.monotonic()
            try await tmux.send("q")
            let progress = try await tmux.waitFor("the quit screen") { $0.contains("Stopping the brokers (their data is kept):") }
            #expect(progress.contains("broker \(controller)  was already down"), "\(progress)")
            try await tmux.waitFor("console exited 0", seconds: 30)
            print("console: quit with the quorum lost took \(Format.duration(Clocks.monotonic() - quitting))")
            // The survivor stopped by itself, cleanly: without a controller it does not wait for a
            // confirmation nobody can give ("stopping without it"; when it was the controller
            // itself it may still confirm its own). Before, it got the console's SIGKILL after 1 s.
            let log = (try? String(contentsOfFile: dataDir + "/broker-\(survivor).log", encoding: .utf8)) ?? ""
            #expect(log.contains("[sluice] stopped") && !log.contains("SIGKILL"), "\(log.suffix(3000))")
            #expect(ConsoleTmuxTests.brokers(of: console).isEmpty)
            print("console: quorum test took \(Format.duration(Clocks.monotonic() - started))")
        }
    }
}

extension ConsoleClusterTmuxTests {
    /// `q` with the active controller killed (issue 15.5): the two survivors still make a quorum,
    /// a new controller confirms both controlled shutdowns, and neither needs the console's SIGKILL.
    /// Before, the new controller's stop waited out its listener's 1 s drain (the other voter's
    /// Raft long poll was held there) and the other survivor, unconfirmed, was killed: ~2.2 s.
    @Test func quittingWithTheControllerKilledStopsEverySurvivorCleanly() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await ConsoleTmuxTests.withConsole(dataDir: dataDir, brokers: 3) { tmux, console in
            defer {
                if Processes.isRunning(console) { kill(console, SIGTERM) }
            }
            let ready = try await tmux.waitFor("3 brokers up with a controller", seconds: 60) {
                $0.contains("brokers 3/3 up") && $0.firstMatch(of: #/controller [1-3] /#) != nil
            }
            let controller = try #require(ready.firstMatch(of: #/controller ([1-3]) /#).flatMap { Int32($0.output.1) })
            try await Self.select(tmux, broker: controller)
            try await tmux.send("x", "y")
            try await tmux.waitFor("a new controller among the survivors", seconds: 30) { s in
                s.contains("brokers 2/3 up") && s.firstMatch(of: #/controller ([1-3]) /#).map { $0.output.1 != "\(controller)" } == true
            }
            let quitting = Clocks.monotonic()
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 30)
            print("console: quit with the controller killed took \(Format.duration(Clocks.monotonic() - quitting))")
            for id in Set<Int32>([1, 2, 3]).subtracting([controller]) {
                let log = (try? String(contentsOfFile: dataDir + "/broker-\(id).log", encoding: .utf8)) ?? ""
                #expect(log.contains("[sluice] stopped") && !log.contains("SIGKILL"), "broker \(id): \(log.suffix(1500))")
            }
            #expect(ConsoleTmuxTests.brokers(of: console).isEmpty)
        }
    }

    /// The same incident against a cluster the console only watches (`--bootstrap`, started by
    /// `sluice cluster up`): the dead brokers refuse connections, so they show down although the
    /// frozen metadata still lists them, no ★ stays on a dead controller, and "no quorum" shows
    /// (the voters come from DescribeQuorum). Started again, the brokers come back up and the
    /// header clears.
    @Test func aRemoteClustersLostQuorumIsSaidToo() async throws {
        let dir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sluice = try ConsoleTmuxTests.sluiceBinary()
        _ = try await TmuxSession.run(sluice, ["cluster", "up", "--data-dir", dir])
        try await withTeardown { teardown in
            var restarted: [Int32] = []
            teardown.add {
                for pid in restarted where Processes.isRunning(pid) { await SpawnedProcesses.stop(pid, grace: .seconds(30)) }
                _ = try? await TmuxSession.run(sluice, ["cluster", "down", "--data-dir", dir])
            }
            let bootstrap = try String(contentsOfFile: dir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await TmuxSession.run(sluice, ["topic", "create", "watched", "--partitions", "6", "--replication-factor", "3",
                                             "--bootstrap", bootstrap])
            try await ConsoleTmuxTests.withConsole(dataDir: dir, remote: bootstrap) { tmux, console in
                defer { if Processes.isRunning(console) { kill(console, SIGTERM) } }
                // The topic listed (its creation replicated to every voter by now: the survivor knows it).
                let ready = try await tmux.waitFor("3 brokers up with a controller and the topic", seconds: 60) {
                    $0.contains("brokers 3/3 up") && $0.firstMatch(of: #/controller [1-3] /#) != nil && $0.contains("partitions 6")
                }
                let controller = try #require(ready.firstMatch(of: #/controller ([1-3]) /#).flatMap { Int32($0.output.1) })
                let members = try #require(LocalCluster(directory: dir).load()?.members)
                let victims = members.filter { $0.id == controller } + members.filter { $0.id != controller }.prefix(1)
                // The survivor must know the topic before the others die: a voter may lag behind
                // the two that committed its creation.
                let survivor = try #require(members.first { m in !victims.contains { $0.id == m.id } })
                _ = try await poll(until: "broker \(survivor.id) knows the topic", timeout: .seconds(30), every: .milliseconds(200)) {
                    let described = (try? await TmuxSession.run(sluice, ["topic", "describe", "watched", "--json",
                                                                         "--bootstrap", "127.0.0.1:\(survivor.port)"])) ?? ""
                    return ((try? JSONSerialization.jsonObject(with: Data(described.utf8))) as? [String: Any])?["partitions"] != nil
                }
                // (The voters come from DescribeQuorum; a console that never saw an answer still tells by
                // DescribeQuorum going unanswered.)
                for victim in victims { kill(victim.pid, SIGKILL) }
                let killedAt = Clocks.monotonic()

                let frozen = try await tmux.waitFor("the remote cluster's lost quorum", seconds: 30) { s in
                    s.contains("no quorum") && s.contains("brokers 1/3 up") && (Self.offline(s) ?? 0) > 0
                        && victims.allSatisfy { Self.brokerRow($0.id, on: s)?[2] == "down" }
                }
                print("console (remote): 'no quorum' \(Format.duration(Clocks.monotonic() - killedAt)) after two SIGKILLs")
                #expect(!frozen.contains("★"), "no controller mark may stay on a dead broker:\n\(frozen)")

                // The dead brokers start again (as `sluice cluster up` starts them): the quorum returns.
                for victim in victims {
                    restarted.append(try SpawnedProcesses.spawn([sluice, "broker", "--config", dir + "/broker-\(victim.id).properties"],
                                                                output: dir + "/broker-\(victim.id).restart.log"))
                }
                try await tmux.waitFor("the quorum back", seconds: 90) { s in
                    !s.contains("no quorum") && s.contains("brokers 3/3 up") && Self.offline(s) == 0
                        && s.firstMatch(of: #/controller [1-3] /#) != nil
                }
                try await tmux.send("q")
                try await tmux.waitFor("console exited 0", seconds: 30)
            }
        }
    }
}
