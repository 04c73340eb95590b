import Foundation
import Testing
@testable import SluiceConsole
import SluiceLocalCluster

/// The supervisor's process mechanics (spawn, SIGKILL, restart, reap, add, stop) with a stand-in
/// broker: a shell script that logs its arguments and exits on SIGTERM. The real broker is driven
/// by the tmux test; this checks the supervisor's own bookkeeping quickly and exactly.
@Suite(.serialized, .onTestThreads) struct SupervisorTests {
    /// Logs "started <id> <port> <dir>", says "got TERM" and exits 0 on SIGTERM, exits 3 at once when
    /// `<dir>/crash` exists.
    static let fakeBroker = BrokerLauncher { spec in
        ["/bin/sh", "-c",
         #"mkdir -p "$3"; echo "started $1 $2 $3 $4"; [ -e "$3/crash" ] && exit 3; trap 'echo got TERM; exit 0' TERM; while :; do sleep 0.05; done"#,
         "fake-broker", "\(spec.id)", "\(spec.port)", spec.dataDirectory, spec.propertiesFile]
    }

    func makeDirectory() throws -> DataDirectory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sup-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let dir = DataDirectory(path: path)
        try dir.prepare()
        return dir
    }

    func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    /// Polls the supervisor until `condition` holds or `seconds` pass.
    func waitFor(_ supervisor: BrokerSupervisor, seconds: Double = 10, _ condition: () -> Bool) async -> (Bool, [ClusterEvent]) {
        var events: [ClusterEvent] = []
        let held = await eventually(timeout: .seconds(seconds), every: .milliseconds(20)) {
            events += supervisor.poll(now: Clocks.monotonic(), wall: Clocks.wall())
            return condition()
        }
        return (held, events)
    }

    /// `kill` (which waits up to 100 ms for the reaping) and `stopAll` (up to its grace) block their
    /// thread: the tests run them off the cooperative pool.
    func killBroker(_ supervisor: BrokerSupervisor, _ id: Int32) async -> ClusterEvent? {
        let handoff = OffPoolHandoff(supervisor)
        return await offPool { handoff.value.kill(id, wall: 0) }
    }

    func stopBrokers(_ supervisor: BrokerSupervisor, grace: Double) async {
        let handoff = OffPoolHandoff(supervisor)
        await offPool { handoff.value.stopAll(grace: grace) }
    }

    func log(_ dir: DataDirectory, _ id: Int32) -> String { (try? String(contentsOfFile: dir.logFile(id), encoding: .utf8)) ?? "" }

    @Test func startKillRestartAddAndStop() async throws {
        try await withTeardown { teardown in
            let dir = try makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir.path) }
            let supervisor = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 2, basePort: nil)
            let started = supervisor.startAll(now: Clocks.monotonic(), wall: Clocks.wall())
            teardown.add { await stopBrokers(supervisor, grace: 1) }
            #expect(started.count == 2 && started.allSatisfy { $0.text.contains("started on 127.0.0.1:") })
            #expect(supervisor.table.map(\.id) == [1, 2] && supervisor.table.allSatisfy(\.isRunning))
            let ports = supervisor.table.map(\.port)
            #expect(Set(ports).count == 2)
            #expect(try String(contentsOfFile: dir.bootstrapFile, encoding: .utf8) == ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") + "\n")
            #expect(await waitFor(supervisor) { log(dir, 1).contains("started 1 \(ports[0]) \(dir.brokerDirectory(1)) \(dir.propertiesFile(1))") }.0)
            // The layout names the running pids (so `sluice cluster up` and `status` see the cluster runs).
            #expect(dir.readLayout()?.members.map(\.pid) == supervisor.table.compactMap(\.pid))

            // Kill: SIGKILL, down at once, not reported as a crash by the reaper.
            let pid1 = try #require(supervisor.table[0].pid)
            let killed = await killBroker(supervisor, 1)
            #expect(killed?.text == "Broker 1 killed with SIGKILL (pid \(pid1))")
            #expect(supervisor.table[0].status == .signaled(SIGKILL) && !alive(pid1))
            #expect(supervisor.poll(now: Clocks.monotonic(), wall: 0).isEmpty)

            // Restart a dead broker: respawned at once, same port and data directory.
            _ = supervisor.restart(1, now: Clocks.monotonic(), wall: 0)
            let again = supervisor.table[0]
            #expect(again.isRunning && again.pid != pid1 && again.port == ports[0] && again.restarts == 1)

            // Restart a running broker: SIGTERM, then respawned once it exited.
            let pid2 = try #require(supervisor.table[1].pid)
            #expect(supervisor.restart(2, now: Clocks.monotonic(), wall: 0)?.text.contains("stopping to restart") == true)
            // Until it has started again, the table says so and another restart is not begun.
            #expect(supervisor.table[1].restarting && supervisor.restart(2, now: Clocks.monotonic(), wall: 0) == nil)
            let (restarted, events) = await waitFor(supervisor) { supervisor.table[1].isRunning && supervisor.table[1].pid != pid2 }
            #expect(restarted && events.contains { $0.text.contains("Broker 2 restarted") })
            #expect(await waitFor(supervisor) { log(dir, 2).contains("got TERM") }.0)

            // Add: the next id on a new port, a broker-only node (as `sluice cluster add-broker`), remembered in the layout.
            let added = try supervisor.add(now: Clocks.monotonic(), wall: 0)
            #expect(added.text.contains("Broker 3 started") && added.text.contains("broker-only") && supervisor.table.count == 3)
            #expect(dir.readLayout()?.members.map(\.id) == [1, 2, 3] && supervisor.voters == [1, 2])
            #expect(try String(contentsOfFile: dir.propertiesFile(3), encoding: .utf8).contains("process.roles=broker\n"))

            // Stop: SIGTERM to all, every one exits, the bootstrap file goes.
            let pids = supervisor.pids
            await stopBrokers(supervisor, grace: 5)
            #expect(pids.count == 3 && pids.allSatisfy { !alive($0) })
            #expect(supervisor.table.allSatisfy { $0.status == .stopped })
            #expect(!FileManager.default.fileExists(atPath: dir.bootstrapFile))
            #expect(dir.readLayout()?.members.allSatisfy { $0.pid == 0 } == true)

            // A second supervisor on the same directory finds the same brokers and ports.
            let next = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 1, basePort: nil)
            #expect(next.bootstrapServers == (ports + [supervisor.table[2].port]).map { "127.0.0.1:\($0)" })
        }
    }

    /// Quitting with the quorum lost: no quorum can confirm a controlled shutdown (a real broker
    /// stops by itself without it; this stand-in ignores SIGTERM altogether), so the survivor gets
    /// SIGKILL after ``BrokerSupervisor/noQuorumGrace``; each step is reported as it happens.
    @Test func quittingWithoutAQuorumKillsTheSurvivorsAfterAShortGrace() async throws {
        try await withTeardown { teardown in
            let stubborn = BrokerLauncher { spec in
                // "ready" once SIGTERM is ignored: a SIGTERM before the trap would end it at once.
                ["/bin/sh", "-c", #"mkdir -p "$1"; trap 'echo got TERM' TERM; touch "$1/ready"; while :; do sleep 0.05; done"#,
                 "stubborn", spec.dataDirectory]
            }
            let dir = try makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir.path) }
            let supervisor = try BrokerSupervisor(directory: dir, launcher: stubborn, count: 3, basePort: nil)
            _ = supervisor.startAll(now: Clocks.monotonic(), wall: 0)
            teardown.add { await stopBrokers(supervisor, grace: 1) }
            _ = await killBroker(supervisor, 1)
            _ = await killBroker(supervisor, 2)
            let survivor = try #require(supervisor.table[2].pid)
            _ = try await poll(until: "the survivor ignoring SIGTERM", timeout: .seconds(20)) {
                FileManager.default.fileExists(atPath: dir.brokerDirectory(3) + "/ready")
            }
            let start = Clocks.monotonic()
            let first = supervisor.beginStop(now: start)
            #expect(first.map(\.phase) == [.alreadyDown, .alreadyDown, .stopping])
            var last: [BrokerStop] = first
            var done = false
            while !done, Clocks.monotonic() - start < 10 {
                (last, done) = supervisor.pollStop(now: Clocks.monotonic())
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(done && !alive(survivor))
            #expect(last[2].phase == .killed("no metadata quorum to confirm its controlled shutdown"), "\(last)")
            #expect(last[2].elapsed >= BrokerSupervisor.noQuorumGrace && last[2].elapsed < BrokerSupervisor.stopGrace)
            #expect(log(dir, 3).contains("SIGKILL after") && !FileManager.default.fileExists(atPath: dir.bootstrapFile))
        }
    }

    /// A second console on a running cluster's directory is refused, and told how to watch it.
    @Test func aSecondConsoleIsToldToWatchTheCluster() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        try "127.0.0.1:19092,127.0.0.1:19093\n".write(toFile: dir.bootstrapFile, atomically: true, encoding: .utf8)
        let first = try DataDirectoryLock(dir)
        #expect(throws: SupervisorError("another sluice console is using \(dir.path): quit it first, watch its cluster with "
                                        + "`sluice console --bootstrap 127.0.0.1:19092,127.0.0.1:19093`, or pass --data-dir to run another cluster")) {
            _ = try DataDirectoryLock(dir)
        }
        withExtendedLifetime(first) {}
    }

    @Test func aBrokerThatDiesByItselfIsReportedWithItsLog() async throws {
        try await withTeardown { teardown in
            let dir = try makeDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir.path) }
            try FileManager.default.createDirectory(atPath: dir.brokerDirectory(1), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: dir.brokerDirectory(1) + "/crash", contents: nil)
            let supervisor = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 1, basePort: nil)
            _ = supervisor.startAll(now: Clocks.monotonic(), wall: 0)
            teardown.add { await stopBrokers(supervisor, grace: 1) }
            let (ended, events) = await waitFor(supervisor) { !supervisor.table[0].isRunning }
            #expect(ended && supervisor.table[0].status == .exited(3))
            #expect(events.map(\.text) == ["Broker 1 exited with status 3 (log: \(dir.logFile(1)))"])
        }
    }

    @Test func aMissingExecutableIsAStateNotACrash() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let supervisor = try BrokerSupervisor(directory: dir, launcher: .sluice(executable: "/nonexistent/sluice"), count: 1,
                                              basePort: nil)
        let events = supervisor.startAll(now: 0, wall: 0)
        #expect(events.first?.text.contains("could not start") == true)
        if case .failedToStart = supervisor.table[0].status {} else { Issue.record("status \(supervisor.table[0].status)") }
    }

    /// A new cluster is configured as `sluice cluster up` configures one: the first three nodes are
    /// combined broker+controller voters, every node's properties name the same voters.
    @Test func aNewClusterIsAKRaftQuorumOfThreeVoters() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let supervisor = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 4, basePort: nil)
        let layout = try #require(dir.readLayout())
        #expect(supervisor.voters == [1, 2, 3] && layout.members.count == 4)
        let voters = layout.voters.map { "\($0.0)@127.0.0.1:\($0.1)" }.joined(separator: ",")
        for member in layout.members {
            let text = try String(contentsOfFile: dir.propertiesFile(member.id), encoding: .utf8)
            #expect(text.contains("node.id=\(member.id)\n") && text.contains("controller.quorum.voters=\(voters)\n"))
            #expect(text.contains("log.dirs=\(dir.brokerDirectory(member.id))\n"))
            #expect(text.contains(member.id <= 3 ? "process.roles=broker,controller\n" : "process.roles=broker\n"))
        }
    }

    /// A directory of the older one-broker console: kept as a one-voter cluster with `--brokers 1`,
    /// refused with the ways out otherwise, never a crash.
    @Test func anOlderConsolesDirectoryIsMigratedOrExplained() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let port = try LocalCluster.freePort()
        try Data(#"{"brokers":[{"id":1,"port":\#(port)}]}"#.utf8).write(to: URL(fileURLWithPath: dir.layoutFile))
        try FileManager.default.createDirectory(atPath: dir.brokerDirectory(1) + "/kept-0", withIntermediateDirectories: true)
        #expect {
            _ = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 3, basePort: nil)
        } throws: { error in
            let text = "\(error)"
            return text.contains("older sluice console") && text.contains("--brokers 1") && text.contains("--fresh")
        }
        let supervisor = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 1, basePort: nil)
        #expect(supervisor.voters == [1] && supervisor.bootstrapServers == ["127.0.0.1:\(port)"])
        #expect(FileManager.default.fileExists(atPath: dir.brokerDirectory(1) + "/kept-0"))
        #expect(dir.readLayout()?.members.first?.controllerPort != nil)
    }

    /// A cluster `sluice cluster up` runs in the directory is not started a second time.
    @Test func aClusterRunningFromClusterUpIsRefused() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let other = try SpawnedProcesses.spawn(["/bin/sh", "-c", "sleep 30", "broker"], output: nil)
        try await withResource(other, stop: { await SpawnedProcesses.stop($0, signal: SIGKILL) }) { other in
            var state = try LocalCluster.plan(brokers: 1, voters: 1)
            state.members[0].pid = other
            try dir.writeLayout(state)
            #expect {
                _ = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 3, basePort: nil)
            } throws: { "\($0)".contains("sluice cluster down") }
        }
    }

    @Test func oneConsolePerDataDirectory() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let first = try DataDirectoryLock(dir)
        #expect(throws: SupervisorError.self) { _ = try DataDirectoryLock(dir) }
        withExtendedLifetime(first) {}
    }

    @Test func freshRemovesOnlyWhatTheConsoleWrote() async throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        try FileManager.default.createDirectory(atPath: dir.brokerDirectory(1), withIntermediateDirectories: true)
        try dir.writeLayout(.init(members: [.init(id: 1, port: 1, controllerPort: 2)]))
        _ = FileManager.default.createFile(atPath: dir.propertiesFile(1), contents: nil)
        _ = FileManager.default.createFile(atPath: dir.logFile(1), contents: nil)
        _ = FileManager.default.createFile(atPath: dir.path + "/notes.txt", contents: Data("mine".utf8))
        try dir.wipe()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["notes.txt"])
    }

    @Test func procStatReadsThisProcess() {
        #expect((ProcStat.residentBytes(pid: getpid()) ?? 0) > 1_000_000)
        #expect(ProcStat.cpuSeconds(pid: getpid()) != nil)
        #expect(ProcStat.residentBytes(pid: -5) == nil)
    }
}
