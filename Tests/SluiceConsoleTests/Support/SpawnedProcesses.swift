import Foundation
@testable import SluiceConsole

/// Processes the console tests start with posix_spawn rather than Foundation's `Process`: with a
/// clear signal mask and default dispositions (test threads block most signals; a tmux server or
/// kcat that inherits that mask never hears SIGCHLD, SIGHUP or SIGTERM), and without the test
/// process's descriptors (NIO's sockets are not close-on-exec: a child would hold an in-process
/// broker's listening port open after the broker stopped). Their exits are awaited by polling
/// `waitpid(WNOHANG)` with `Task.sleep` in between, never waited for by a thread.
enum SpawnedProcesses {
    /// Spawns `arguments[0]` with `arguments`: stdin from `input` (or /dev/null), stdout and stderr
    /// to `output` (appended; /dev/null when nil), in a process group of its own when `newGroup`.
    static func spawn(_ arguments: [String], input: String? = nil, output: String?, append: Bool = true,
                      newGroup: Bool = true) throws -> Int32 {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
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
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard rc == 0 else { throw TestFailure("cannot run \(arguments[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34), looked up at run time:
    /// Swift's Glibc module does not import it.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
    }

    /// Reaps `pid` once it exits; its status word, or nil when `timeout` passes first.
    static func exit(of pid: Int32, within timeout: Duration) async -> Int32? {
        var status: Int32?
        _ = await eventually(timeout: timeout, every: .milliseconds(20)) {
            status = ProcessSpawner.reap(pid)
            return status != nil
        }
        return status
    }

    /// Sends `signal`, waits up to `grace` for the exit, then SIGKILLs and reaps. The status word,
    /// nil when the process had to be killed.
    @discardableResult
    static func stop(_ pid: Int32, signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) async -> Int32? {
        kill(pid, signal)
        if let status = await exit(of: pid, within: grace) { return status }
        kill(pid, SIGKILL)
        _ = await exit(of: pid, within: .seconds(60))
        return nil
    }
}
