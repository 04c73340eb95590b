import Foundation
import Testing
@testable import SluiceConsole

/// The supervisor's process mechanics (spawn, SIGKILL, restart, reap, add, stop) with a stand-in
/// broker: a shell script that logs its arguments and exits on SIGTERM. The real broker is driven
/// by the tmux test; this checks the supervisor's own bookkeeping quickly and exactly.
@Suite(.serialized) struct SupervisorTests {
    /// Logs "started <id> <port> <dir>", says "got TERM" and exits 0 on SIGTERM, exits 3 at once when
    /// `<dir>/crash` exists.
    static let fakeBroker = BrokerLauncher { id, port, dir, _ in
        ["/bin/sh", "-c",
         #"mkdir -p "$3"; echo "started $1 $2 $3"; [ -e "$3/crash" ] && exit 3; trap 'echo got TERM; exit 0' TERM; while :; do sleep 0.05; done"#,
         "fake-broker", "\(id)", "\(port)", dir]
    }

    func makeDirectory() throws -> DataDirectory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sup-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let dir = DataDirectory(path: path)
        try dir.prepare()
        return dir
    }

    func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    /// Polls the supervisor until `condition` holds or `seconds` pass.
    func waitFor(_ supervisor: BrokerSupervisor, seconds: Double = 10, _ condition: () -> Bool) -> (Bool, [ClusterEvent]) {
        let deadline = Clocks.monotonic() + seconds
        var events: [ClusterEvent] = []
        while Clocks.monotonic() < deadline {
            events += supervisor.poll(now: Clocks.monotonic(), wall: Clocks.wall())
            if condition() { return (true, events) }
            usleep(20_000)
        }
        return (false, events)
    }

    func log(_ dir: DataDirectory, _ id: Int32) -> String { (try? String(contentsOfFile: dir.logFile(id), encoding: .utf8)) ?? "" }

    @Test func startKillRestartAddAndStop() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let supervisor = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 2, basePort: nil)
        let started = supervisor.startAll(now: Clocks.monotonic(), wall: Clocks.wall())
        #expect(started.count == 2 && started.allSatisfy { $0.text.contains("started on 127.0.0.1:") })
        #expect(supervisor.table.map(\.id) == [1, 2] && supervisor.table.allSatisfy(\.isRunning))
        let ports = supervisor.table.map(\.port)
        #expect(Set(ports).count == 2)
        #expect(try String(contentsOfFile: dir.bootstrapFile, encoding: .utf8) == ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") + "\n")
        #expect(waitFor(supervisor) { log(dir, 1).contains("started 1 \(ports[0]) \(dir.brokerDirectory(1))") }.0)

        // Kill: SIGKILL, down at once, not reported as a crash by the reaper.
        let pid1 = try #require(supervisor.table[0].pid)
        let killed = supervisor.kill(1, wall: 0)
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
        let (restarted, events) = waitFor(supervisor) { supervisor.table[1].isRunning && supervisor.table[1].pid != pid2 }
        #expect(restarted && events.contains { $0.text.contains("Broker 2 restarted") })
        #expect(waitFor(supervisor) { log(dir, 2).contains("got TERM") }.0)

        // Add: the next id on a new port, remembered in the layout.
        let added = try supervisor.add(now: Clocks.monotonic(), wall: 0)
        #expect(added.text.contains("Broker 3 started") && supervisor.table.count == 3)
        #expect(dir.readLayout()?.brokers.map(\.id) == [1, 2, 3])

        // Stop: SIGTERM to all, every one exits, the bootstrap file goes.
        let pids = supervisor.pids
        supervisor.stopAll(grace: 5)
        #expect(pids.count == 3 && pids.allSatisfy { !alive($0) })
        #expect(supervisor.table.allSatisfy { $0.status == .stopped })
        #expect(!FileManager.default.fileExists(atPath: dir.bootstrapFile))

        // A second supervisor on the same directory finds the same brokers and ports.
        let next = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 1, basePort: nil)
        #expect(next.bootstrapServers == (ports + [supervisor.table[2].port]).map { "127.0.0.1:\($0)" })
    }

    @Test func aBrokerThatDiesByItselfIsReportedWithItsLog() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        try FileManager.default.createDirectory(atPath: dir.brokerDirectory(1), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.brokerDirectory(1) + "/crash", contents: nil)
        let supervisor = try BrokerSupervisor(directory: dir, launcher: Self.fakeBroker, count: 1, basePort: nil)
        _ = supervisor.startAll(now: Clocks.monotonic(), wall: 0)
        let (ended, events) = waitFor(supervisor) { !supervisor.table[0].isRunning }
        #expect(ended && supervisor.table[0].status == .exited(3))
        #expect(events.map(\.text) == ["Broker 1 exited with status 3 (log: \(dir.logFile(1)))"])
    }

    @Test func aMissingExecutableIsAStateNotACrash() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let supervisor = try BrokerSupervisor(directory: dir, launcher: .sluice(executable: "/nonexistent/sluice"), count: 1,
                                              basePort: nil)
        let events = supervisor.startAll(now: 0, wall: 0)
        #expect(events.first?.text.contains("could not start") == true)
        if case .failedToStart = supervisor.table[0].status {} else { Issue.record("status \(supervisor.table[0].status)") }
    }

    @Test func brokersThatCannotFormAClusterRunAlone() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let single = BrokerLauncher(formsClusters: false, arguments: Self.fakeBroker.arguments)
        #expect(throws: SupervisorError.self) { _ = try BrokerSupervisor(directory: dir, launcher: single, count: 3, basePort: nil) }
        let supervisor = try BrokerSupervisor(directory: dir, launcher: single, count: 1, basePort: nil)
        #expect(throws: SupervisorError.self) { _ = try supervisor.add(now: 0, wall: 0) }
        #expect(supervisor.table.isEmpty && dir.readLayout()?.brokers.count == 1)
    }

    @Test func oneConsolePerDataDirectory() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let first = try DataDirectoryLock(dir)
        #expect(throws: SupervisorError.self) { _ = try DataDirectoryLock(dir) }
        withExtendedLifetime(first) {}
    }

    @Test func freshRemovesOnlyWhatTheConsoleWrote() throws {
        let dir = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        try FileManager.default.createDirectory(atPath: dir.brokerDirectory(1), withIntermediateDirectories: true)
        try dir.writeLayout(.init(brokers: [.init(id: 1, port: 1)]))
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
