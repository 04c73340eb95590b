import Foundation
@testable import SluiceConsole

/// A real terminal for end-to-end console tests (fzf's tmux harness): a tmux server of its own
/// (`-L`, so other people's sessions are never touched), one window of a fixed size running a
/// command, keys sent with `send-keys`, the screen read with `capture-pane`.
final class TmuxSession {
    let socket: String
    let name = "console"
    /// The server's socket file, removed at the end (tmux leaves it behind).
    private var socketPath: String?

    init(command: String, width: Int, height: Int) throws {
        socket = "console-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // The server this starts keeps whatever descriptors it inherits: give it no pipes to hold open.
        try Self.run("/usr/bin/tmux", ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", name,
                                      "-x", "\(width)", "-y", "\(height)", command], capture: false)
        // Keep the window at the requested size whatever clients attach (none do).
        _ = try? Self.tmux(["-L", socket, "set-option", "-g", "window-size", "manual"])
        socketPath = (try? Self.tmux(["-L", socket, "display-message", "-p", "#{socket_path}"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        _ = try? Self.tmux(["-L", socket, "kill-server"])
        if let socketPath, socketPath.contains("console-test-") { unlink(socketPath) }
    }

    /// Sends keys by tmux name ("Enter", "Escape", "C-d") or literal text (`literal: true`).
    func send(_ keys: String..., literal: Bool = false) throws {
        try Self.tmux(["-L", socket, "send-keys", "-t", name] + (literal ? ["-l"] : []) + keys)
    }

    /// The visible screen as text (`escapes`: with colour escape sequences).
    func screen(escapes: Bool = false) -> String {
        (try? Self.tmux(["-L", socket, "capture-pane", "-p", "-t", name] + (escapes ? ["-e"] : []))) ?? ""
    }

    func resize(width: Int, height: Int) throws {
        try Self.tmux(["-L", socket, "resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }

    /// The pid of the pane's process (the shell that runs the command).
    func panePID() throws -> Int32 {
        let out = try Self.tmux(["-L", socket, "list-panes", "-t", name, "-F", "#{pane_pid}"])
        guard let pid = Int32(out.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no pane pid in \(out)") }
        return pid
    }

    /// Waits until `condition` holds for the screen, or fails after `seconds` showing the screen
    /// (and `note`, when there is more to show).
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 30, note: @autoclosure () -> String = "",
                 _ condition: (String) -> Bool) throws -> String {
        let deadline = Clocks.monotonic() + seconds
        var last = ""
        while Clocks.monotonic() < deadline {
            last = screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        let more = note()
        throw TestFailure("timed out after \(seconds)s waiting for \(what); the screen:\n\(last)" + (more.isEmpty ? "" : "\n\(more)"))
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 30) throws -> String {
        try waitFor("'\(text)'", seconds: seconds) { $0.contains(text) }
    }

    @discardableResult
    static func tmux(_ arguments: [String]) throws -> String {
        try run("/usr/bin/tmux", arguments)
    }

    /// Runs a program, returns its standard output; throws when it fails. posix_spawn with an empty
    /// signal mask and default dispositions: test threads block most signals, and a tmux server that
    /// inherits that mask never hears SIGCHLD or SIGHUP (nor do the shells it starts).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, capture: Bool = true) throws -> String {
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { unlink(outFile); unlink(outFile + ".in") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            try input.write(toFile: outFile + ".in", atomically: false, encoding: .utf8)
            posix_spawn_file_actions_addopen(&actions, 0, outFile + ".in", O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, capture ? outFile : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw TestFailure("cannot run \(executable): \(String(cString: strerror(rc)))") }
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
