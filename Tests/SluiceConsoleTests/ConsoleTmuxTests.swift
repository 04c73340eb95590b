import Foundation
import Testing
@testable import SluiceConsole

/// The real `sluice` binary in a real terminal (tmux, 120×40), driven by keys the way a user would:
/// create a topic, tail what kcat produces, kill and restart a broker, change the theme, shrink
/// the terminal, quit; then no broker the console started may be left.
///
/// Not on the main actor. It was, while these tests blocked their thread for seconds (the main
/// thread is not one of the cooperative pool's two, so blocking it starved no other test). They
/// block no thread now — tmux runs off the pool, waits sleep with `Task.sleep` — and nothing in them
/// needs the main thread; `.serialized` keeps one console of this suite at a time.
@Suite(.serialized, .onTestThreads) struct ConsoleTmuxTests {
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

    /// Runs `body` with the console started in tmux (on a fresh data directory with `brokers`
    /// brokers, or watching `remote`) and the console's pid; the tmux server is killed afterwards,
    /// on every path. One broker unless a test is about the cluster: each broker is a process to
    /// start on a shared 2-core machine.
    static func withConsole<T>(dataDir: String, brokers: Int = 1, remote: String? = nil, width: Int = 120, height: Int = 40,
                               _ body: (TmuxSession, Int32) async throws -> T) async throws -> T {
        let binary = try sluiceBinary()
        let cluster = remote.map { "console --bootstrap \($0)" } ?? "--data-dir '\(dataDir)' --fresh --brokers \(brokers)"
        let command = "env -u NO_COLOR LANG=C.UTF-8 TERM=xterm-256color '\(binary)' \(cluster) --refresh 0.5;"
            + " echo \"console exited $?\"; sleep 120"
        return try await TmuxSession.with(command: command, width: width, height: height) { session in
            let shell = try await session.panePID()
            var console: Int32?
            _ = await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                console = Processes.children(of: shell).first { Processes.commandLine($0)?.contains(binary) == true }
                return console != nil
            }
            guard let console else { throw TestFailure("the console process did not appear under the tmux pane") }
            return try await body(session, console)
        }
    }

    /// The `sluice broker` processes the console started (its children), by pid.
    static func brokers(of console: Int32) -> [Int32] {
        Processes.children(of: console).filter { Processes.commandLine($0)?.contains(" broker ") == true }
    }

    /// Produces messages with kcat (or confluent-kafka when kcat is missing).
    static func produce(_ values: [String], topic: String, bootstrap: String) async throws {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat") {
            try await TmuxSession.run("/usr/bin/kcat", ["-P", "-b", bootstrap, "-t", topic, "-k", "tmux-key"],
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
        try await TmuxSession.run("/usr/bin/env", ["python3", "-c", script, bootstrap, topic] + values)
    }

    @Test func createTailKillRestartThemeResizeQuit() async throws {
        let dataDir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let started = Clocks.monotonic()
        try await Self.withConsole(dataDir: dataDir) { tmux, console in
            try await tmux.waitFor("brokers 1/1 up")
            print("console: all brokers up after \(Format.duration(Clocks.monotonic() - started)) (debug build)")
            #expect(Self.brokers(of: console).count == 1)

            // n: create a topic through the form.
            try await tmux.send("n")
            try await tmux.waitFor("New topic")
            try await tmux.send("tmux-orders", literal: true)
            try await tmux.send("Enter")
            try await tmux.waitFor("Created topic tmux-orders")
            try await tmux.send("2")
            // The topic's own row (the status line names it too, before a poll lists it).
            try await tmux.waitFor("topic row") { $0.split(separator: "\n").contains { $0.hasPrefix(" tmux-orders ") } }

            // t: tail it, while kcat produces.
            try await tmux.send("t")
            try await tmux.waitFor("tmux-orders (all partitions)")
            let bootstrap = try String(contentsOfFile: dataDir + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            try await Self.produce((1...3).map { #"{"hello":"from-kcat","n":\#($0)}"# }, topic: "tmux-orders", bootstrap: bootstrap)
            try await tmux.waitFor("three messages") { s in (1...3).allSatisfy { s.contains(#""n":\#($0)}"#) } && s.contains("3 received") }

            // x then y: SIGKILL the broker; it shows down and its process is gone.
            try await tmux.send("1")
            let victim = try #require(Self.brokers(of: console).first)
            try await tmux.send("x")
            try await tmux.waitFor("Kill broker 1 with SIGKILL")
            try await tmux.send("y")
            try await tmux.waitFor("broker down") { $0.contains("brokers 0/1 up") && $0.contains(" down ") }
            #expect(!Processes.isRunning(victim))

            // r: restart it on the same data; it comes back up and still has the topic's messages.
            try await tmux.send("r")
            try await tmux.waitFor("broker up again") { $0.contains("brokers 1/1 up") && $0.contains(" up ") && !$0.contains("stale") }
            #expect(Self.brokers(of: console).count == 1 && Self.brokers(of: console).first != victim)
            try await tmux.send("6")
            try await tmux.waitFor("Broker 1 killed with SIGKILL")
            try await tmux.waitFor("Broker 1 restarted")

            // T: the next theme, with other colours on screen.
            func colours(_ screen: String) -> Set<String> {
                Set(screen.matches(of: /\u{1b}\[[0-9;]*m/).map { String($0.output) })
            }
            let before = colours(await tmux.screen(escapes: true))
            try await tmux.send("T")
            try await tmux.waitFor("theme high-contrast")
            let after = colours(await tmux.screen(escapes: true))
            #expect(!before.isEmpty && !after.isEmpty && before != after, "the theme did not change the colours")

            // Resize to 80×24: still a full screen; smaller: says so; back: full again.
            try await tmux.resize(width: 80, height: 24)
            try await tmux.waitFor("80×24 layout") { s in
                let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
                return s.contains("brokers 1/1 up") && lines.allSatisfy { TextWidth.columns(of: $0) <= 80 } && s.contains("q quit")
            }
            try await tmux.resize(width: 70, height: 20)
            try await tmux.waitFor("Terminal too small")
            try await tmux.resize(width: 80, height: 24)
            try await tmux.waitFor("brokers 1/1 up")

            // q: quits, the broker stops cleanly, nothing the console started is left.
            let last = Self.brokers(of: console)
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 30)
            #expect(last.allSatisfy { !Processes.isRunning($0) })
            #expect(!Processes.isRunning(console) && Processes.children(of: console).isEmpty)
            let log = try String(contentsOfFile: dataDir + "/broker-1.log", encoding: .utf8)
            #expect(log.contains("SIGTERM"), "the broker was not stopped with SIGTERM:\n\(log.suffix(2000))")
            #expect(!FileManager.default.fileExists(atPath: dataDir + "/bootstrap"))
        }
    }

    /// If the console dies (SIGKILL: no chance to clean up), its brokers die with it.
    @Test func brokersDieWithTheConsole() async throws {
        let dataDir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        try await Self.withConsole(dataDir: dataDir) { tmux, console in
            try await tmux.waitFor("brokers 1/1 up")
            let brokers = Self.brokers(of: console)
            #expect(brokers.count == 1)
            kill(console, SIGKILL)
            _ = await eventually(timeout: .seconds(15)) { !brokers.contains(where: Processes.isRunning) }
            #expect(!brokers.contains(where: Processes.isRunning), "orphaned brokers: \(brokers.filter(Processes.isRunning))")
        }
    }

    /// `--bootstrap`: watching a broker the console did not start. Kill is refused (and says why),
    /// there are no process columns, and quitting leaves the broker alone.
    @Test func remoteClusterIsWatchedNotOwned() async throws {
        let dir = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/broker.log"
        let broker = try SpawnedProcesses.spawn([try Self.sluiceBinary(), "broker", "--node-id", "7", "--listen", "127.0.0.1:0",
                                                  "--data-dir", dir + "/data"], output: log)
        try await withResource(broker, stop: { await SpawnedProcesses.stop($0, grace: .seconds(30)) }) { broker in
            var address: String?
            _ = await eventually(timeout: .seconds(20), every: .milliseconds(20)) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                address = text.firstMatch(of: /listening on (127\.0\.0\.1:[0-9]+)/).map { String($0.output.1) }
                return address != nil
            }
            let bootstrap = try #require(address, "the broker did not start")
            try await Self.withConsole(dataDir: dir, remote: bootstrap) { tmux, console in
                try await tmux.waitFor("remote │ \(bootstrap)")
                let screen = try await tmux.waitFor("brokers 1/1 up")
                #expect(screen.contains("RTT") && !screen.contains("RSS"))
                #expect(!screen.contains("x kill"))
                try await tmux.send("x")
                try await tmux.waitFor("Kill is unavailable: this console watches a remote cluster")
                try await tmux.send("q")
                try await tmux.waitFor("console exited 0")
                #expect(!Processes.isRunning(console))
                #expect(Processes.isRunning(broker), "quitting a remote console must not stop the cluster's brokers")
            }
        }
    }
}
