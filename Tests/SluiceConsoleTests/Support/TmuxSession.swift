import Foundation
@testable import SluiceConsole

/// A real terminal for end-to-end console tests (fzf's tmux harness): a tmux server of its own
/// (`-L`, so other people's sessions are never touched), one window of a fixed size running a
/// command, keys sent with `send-keys`, the screen read with `capture-pane`. Every tmux command
/// runs off the cooperative pool (`offPool`), and waits poll with `Task.sleep`.
///
/// ``with(command:width:height:_:)`` kills the server on every path.
final class TmuxSession: Sendable {
    let socket: String
    let name = "console"
    /// The server's socket file, removed at the end (tmux leaves it behind).
    private let socketPath: String?

    /// Starts the server and its window (not yet awaited by anyone: ``with(command:width:height:_:)``
    /// ends it).
    private init(command: String, width: Int, height: Int) async throws {
        let socket = "console-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        self.socket = socket
        // The server this starts keeps whatever descriptors it inherits: give it no pipes to hold open.
        try await Self.run("/usr/bin/tmux", ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", name,
                                            "-x", "\(width)", "-y", "\(height)", command], capture: false)
        // Keep the window at the requested size whatever clients attach (none do).
        _ = try? await Self.tmux(["-L", socket, "set-option", "-g", "window-size", "manual"])
        socketPath = (try? await Self.tmux(["-L", socket, "display-message", "-p", "#{socket_path}"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with a session running `command` in a window of `width`×`height`, then kills
    /// the tmux server (and with it the command, unless it left its process group) on every path.
    static func with<T>(command: String, width: Int, height: Int,
                        _ body: (TmuxSession) async throws -> T) async throws -> T {
        try await withResource(try await TmuxSession(command: command, width: width, height: height),
                               stop: { await $0.kill() }, body)
    }

    /// Kills the tmux server and removes its socket file.
    func kill() async {
        _ = try? await Self.tmux(["-L", socket, "kill-server"])
        if let socketPath, socketPath.contains("console-test-") { unlink(socketPath) }
    }

    /// Sends keys by tmux name ("Enter", "Escape", "C-d") or literal text (`literal: true`).
    func send(_ keys: String..., literal: Bool = false) async throws {
        try await Self.tmux(["-L", socket, "send-keys", "-t", name] + (literal ? ["-l"] : []) + keys)
    }

    /// The visible screen as text (`escapes`: with colour escape sequences).
    func screen(escapes: Bool = false) async -> String {
        (try? await Self.tmux(["-L", socket, "capture-pane", "-p", "-t", name] + (escapes ? ["-e"] : []))) ?? ""
    }

    func resize(width: Int, height: Int) async throws {
        try await Self.tmux(["-L", socket, "resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }

    /// The pid of the pane's process (the shell that runs the command).
    func panePID() async throws -> Int32 {
        let out = try await Self.tmux(["-L", socket, "list-panes", "-t", name, "-F", "#{pane_pid}"])
        guard let pid = Int32(out.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no pane pid in \(out)") }
        return pid
    }

    /// Waits until `condition` holds for the screen, or fails after `seconds` showing the screen
    /// (and `note`, when there is more to show).
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 30, note: @autoclosure () -> String = "",
                 _ condition: (String) -> Bool) async throws -> String {
        var last = ""
        let held = await eventually(timeout: .seconds(seconds)) {
            last = await screen()
            return condition(last)
        }
        if held { return last }
        let more = note()
        throw TestFailure("timed out after \(seconds)s waiting for \(what); the screen:\n\(last)" + (more.isEmpty ? "" : "\n\(more)"))
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 30) async throws -> String {
        try await waitFor("'\(text)'", seconds: seconds) { $0.contains(text) }
    }

    @discardableResult
    static func tmux(_ arguments: [String]) async throws -> String {
        try await run("/usr/bin/tmux", arguments)
    }

    /// Runs a program to its end (off the cooperative pool), returns its standard output; throws
    /// when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, capture: Bool = true) async throws -> String {
        try await offPool { try runBlocking(executable, arguments, input: input, capture: capture) }
    }

    /// Spawned by ``SpawnedProcesses/spawn(_:input:output:append:newGroup:)`` (a clear signal mask,
    /// none of the test process's descriptors); waits for the exit (waitpid) on the calling thread.
    @available(*, noasync, message: "blocks its thread: use the async run")
    private static func runBlocking(_ executable: String, _ arguments: [String], input: String?, capture: Bool) throws -> String {
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { unlink(outFile); unlink(outFile + ".in") }
        if let input { try input.write(toFile: outFile + ".in", atomically: false, encoding: .utf8) }
        let pid = try SpawnedProcesses.spawn([executable] + arguments, input: input == nil ? nil : outFile + ".in",
                                             output: capture ? outFile : nil, append: false, newGroup: false)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = capture ? ((try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "") : ""
        guard status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
        }
        return output
    }
}

/// Processes on this machine, from /proc.
enum Processes {
    /// The pids whose parent is `parent`.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { parentOf($0) == parent }
    }

    static func parentOf(_ pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// The command line of a process (arguments joined by spaces); nil once it is gone.
    static func commandLine(_ pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }

    /// Alive and not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
