import Foundation
import Testing
@testable import SluiceConsole

/// The real `sluice` binary in a real terminal (tmux, 120×40), driven by keys the way a user would:
/// create a topic, tail what kcat produces, kill and restart a broker, change the theme, shrink
/// the terminal, quit; then no broker the console started may be left.
/// On the main actor: these tests block their thread (tmux, processes, usleep) for seconds, and the
/// cooperative pool has only two threads on this machine; async tests of the same run keep them.
@Suite(.serialized) @MainActor struct ConsoleTmuxTests {
    static func sluiceBinary() throws -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            testBinary.deletingLastPathComponent().appendingPathComponent("sluice").path,
            GeneratedFilesTests.root.appendingPathComponent(".build/debug/sluice").path,
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("no sluice binary in \(candidates) (swift build --product sluice)")
        }
        return found
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tmux-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    }

    /// Starts the console in tmux (on a fresh data directory with `brokers` brokers, or watching
    /// `remote`); returns the session and the console's pid. One broker unless a test is about the
    /// cluster: each broker is a process to start on a shared 2-core machine.
    static func launch(dataDir: String, brokers: Int = 1, remote: String? = nil, width: Int = 120,
                       height: Int = 40) throws -> (TmuxSession, Int32) {
        let binary = try sluiceBinary()
        let cluster = remote.map { "console --bootstrap \($0)" } ?? "--data-dir '\(dataDir)' --fresh --brokers \(brokers)"
        let command = "env -u NO_COLOR LANG=C.UTF-8 TERM=xterm-256color '\(binary)' \(cluster) --refresh 0.5;"
            + " echo \"console exited $?\"; sleep 120"
        let session = try TmuxSession(command: command, width: width, height: height)
        let shell = try session.panePID()
        let deadline = Clocks.monotonic() + 10
        while Clocks.monotonic() < deadline {
            if let pid = Processes.children(of: shell).first(where: { Processes.commandLine($0)?.contains(binary) == true }) {
                return (session, pid)
            }
            usleep(20_000)
        }
        throw TestFailure("the console process did not appear under the tmux pane")
    }

    /// The `sluice broker` processes the console started (its children), by pid.
    static func brokers(of console: Int32) -> [Int32] {
        Processes.children(of: console).filter { Processes.commandLine($0)?.contains(" broker ") == true }
    }

    /// Produces messages with kcat (or confluent-kafka when kcat is missing).
    static func produce(_ values: [String], topic: String, bootstrap: String) throws {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat") {
            try TmuxSession.run("/usr/bin/kcat", ["-P", "-b", bootstrap, "-t", topic, "-k", "tmux-key"],
                                input: values.joined(separator: "\n") + "\n")
            return
        }
        let script = """
            import sys
            from confluent_kafka import Producer
            p = Producer({"bootstrap.servers": sys.argv[1]})
            for v in sys.argv[3:]:
                p.produce(sys.argv[2], key=b"tmux-key", value=v.encode())
            assert p.flush(10) == 0
            """
        try TmuxSession.run("/usr/bin/env", ["python3", "-c", script, bootstrap, topic] + values)
    }

    @Test func createTailKillRestartThemeResizeQuit() throws {
        let dataDir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let started = Clocks.monotonic()
        let (tmux, console) = try Self.launch(dataDir: dataDir)
        try tmux.waitFor("brokers 1/1 up")
        print("console: all brokers up after \(Format.duration(Clocks.monotonic() - started)) (debug build)")
        #expect(Self.brokers(of: console).count == 1)

        // n: create a topic through the form.
        try tmux.send("n")
        try tmux.waitFor("New topic")
        try tmux.send("tmux-orders", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor("Created topic tmux-orders")
        try tmux.send("2")
        // The topic's own row (the status line names it too, before a poll lists it).
        try tmux.waitFor("topic row") { $0.split(separator: "\n").contains { $0.hasPrefix(" tmux-orders ") } }

        // t: tail it, while kcat produces.
        try tmux.send("t")
        try tmux.waitFor("tmux-orders (all partitions)")
        let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.produce((1...3).map { #"{"hello":"from-kcat","n":\#($0)}"# }, topic: "tmux-orders", bootstrap: bootstrap)
        try tmux.waitFor("three messages") { s in (1...3).allSatisfy { s.contains(#""n":\#($0)}"#) } && s.contains("3 received") }

        // x then y: SIGKILL the broker; it shows down and its process is gone.
        try tmux.send("1")
        let victim = try #require(Self.brokers(of: console).first)
        try tmux.send("x")
        try tmux.waitFor("Kill broker 1 with SIGKILL")
        try tmux.send("y")
        try tmux.waitFor("broker down") { $0.contains("brokers 0/1 up") && $0.contains(" down ") }
        #expect(!Processes.isRunning(victim))

        // r: restart it on the same data; it comes back up and still has the topic's messages.
        try tmux.send("r")
        try tmux.waitFor("broker up again") { $0.contains("brokers 1/1 up") && $0.contains(" up ") && !$0.contains("stale") }
        #expect(Self.brokers(of: console).count == 1 && Self.brokers(of: console).first != victim)
        try tmux.send("6")
        try tmux.waitFor("Broker 1 killed with SIGKILL")
        try tmux.waitFor("Broker 1 restarted")

        // T: the next theme, with other colours on screen.
        func colours(_ screen: String) -> Set<String> {
            Set(screen.matches(of: /\u{1b}\[[0-9;]*m/).map { String($0.output) })
        }
        let before = colours(tmux.screen(escapes: true))
        try tmux.send("T")
        try tmux.waitFor("theme high-contrast")
        let after = colours(tmux.screen(escapes: true))
        #expect(!before.isEmpty && !after.isEmpty && before != after, "the theme did not change the colours")

        // Resize to 80×24: still a full screen; smaller: says so; back: full again.
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor("80×24 layout") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return s.contains("brokers 1/1 up") && lines.allSatisfy { TextWidth.columns(of: $0) <= 80 } && s.contains("q quit")
        }
        try tmux.resize(width: 70, height: 20)
        try tmux.waitFor("Terminal too small")
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor("brokers 1/1 up")

        // q: quits, the broker stops cleanly, nothing the console started is left.
        let last = Self.brokers(of: console)
        try tmux.send("q")
        try tmux.waitFor("console exited 0", seconds: 30)
        #expect(last.allSatisfy { !Processes.isRunning($0) })
        #expect(!Processes.isRunning(console) && Processes.children(of: console).isEmpty)
        let log = try String(contentsOfFile: dataDir + "/broker-1.log", encoding: .utf8)
        #expect(log.contains("SIGTERM"), "the broker was not stopped with SIGTERM:\n\(log.suffix(2000))")
        #expect(!FileManager.default.fileExists(atPath: dataDir + "/bootstrap"))
    }

    /// If the console dies (SIGKILL: no chance to clean up), its brokers die with it.
    @Test func brokersDieWithTheConsole() throws {
        let dataDir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let (tmux, console) = try Self.launch(dataDir: dataDir)
        try tmux.waitFor("brokers 1/1 up")
        let brokers = Self.brokers(of: console)
        #expect(brokers.count == 1)
        kill(console, SIGKILL)
        let deadline = Clocks.monotonic() + 15
        while Clocks.monotonic() < deadline, brokers.contains(where: Processes.isRunning) { usleep(50_000) }
        #expect(!brokers.contains(where: Processes.isRunning), "orphaned brokers: \(brokers.filter(Processes.isRunning))")
    }

    /// `--bootstrap`: watching a broker the console did not start. Kill is refused (and says why),
    /// there are no process columns, and quitting leaves the broker alone.
    @Test func remoteClusterIsWatchedNotOwned() throws {
        let dir = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/broker.log"
        let broker = try ProcessSpawner.spawn([try Self.sluiceBinary(), "broker", "--node-id", "7", "--listen", "127.0.0.1:0",
                                               "--data-dir", dir + "/data"], logFile: log)
        defer {
            kill(broker, SIGTERM)
            var status: Int32 = 0
            waitpid(broker, &status, 0)
        }
        var address: String?
        let deadline = Clocks.monotonic() + 20
        while address == nil, Clocks.monotonic() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            address = text.firstMatch(of: /listening on (127\.0\.0\.1:[0-9]+)/).map { String($0.output.1) }
            usleep(20_000)
        }
        let bootstrap = try #require(address, "the broker did not start")
        let (tmux, console) = try Self.launch(dataDir: dir, remote: bootstrap)
        try tmux.waitFor("remote │ \(bootstrap)")
        let screen = try tmux.waitFor("brokers 1/1 up")
        #expect(screen.contains("RTT") && !screen.contains("RSS"))
        #expect(!screen.contains("x kill"))
        try tmux.send("x")
        try tmux.waitFor("Kill is unavailable: this console watches a remote cluster")
        try tmux.send("q")
        try tmux.waitFor("console exited 0")
        #expect(!Processes.isRunning(console))
        #expect(Processes.isRunning(broker), "quitting a remote console must not stop the cluster's brokers")
    }
}
