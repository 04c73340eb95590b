import Dispatch
import Foundation
import SluiceBroker

/// Waits for SIGTERM or SIGINT.
///
/// The handlers are installed synchronously with `sigaction` (a self-pipe: the handler only
/// writes the signal number), so no signal is lost between start-up and the wait, whatever
/// thread it lands on. (A Dispatch signal source registers asynchronously: a signal arriving in
/// between would be lost.)
final class ShutdownSignals {
    nonisolated(unsafe) private static var pipeWriteEnd: Int32 = -1
    private let readEnd: Int32

    init() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        readEnd = fds[0]
        Self.pipeWriteEnd = fds[1]
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in ShutdownSignals.deliver(signal) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    /// Records `signal` as received (async-signal-safe: one write to the pipe).
    static func deliver(_ signal: Int32) {
        var byte = UInt8(truncatingIfNeeded: signal)
        _ = write(pipeWriteEnd, &byte, 1)
    }

    /// The name of the first signal received (blocks a thread of its own, not the caller's).
    ///
    /// Threads started by Dispatch, NIO and the Swift runtime block most signals, and the main
    /// thread may be parked: this thread unblocks SIGTERM and SIGINT so that a signal sent to the
    /// process (the parent-death signal included) always has a thread to run its handler on.
    func next() async -> String {
        let fd = readEnd
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var signals = sigset_t()
                sigemptyset(&signals)
                sigaddset(&signals, SIGTERM)
                sigaddset(&signals, SIGINT)
                pthread_sigmask(SIG_UNBLOCK, &signals, nil)
                var byte: UInt8 = 0
                while read(fd, &byte, 1) < 0 && errno == EINTR {}
                continuation.resume(returning: Int32(byte) == SIGINT ? "SIGINT" : "SIGTERM")
            }
        }
    }
}

/// `--exit-with-parent`: a watchdog thread polls `getppid()` twice a second and requests a clean
/// shutdown (as SIGTERM does) when the parent is gone; a parent that died before it started is
/// caught at once. Not `PR_SET_PDEATHSIG`: the kernel ties that signal to the parent *thread*, so
/// a broker spawned from a thread that later exits (an idle thread of Swift's cooperative pool,
/// five seconds after its last job) was stopped while its parent process lived on.
enum ParentWatch {
    static func install(expectedParent: pid_t) {
        if getppid() != expectedParent {
            FileHandle.standardError.write(Data("sluice broker: the parent process is gone; exiting\n".utf8))
            exit(1)
        }
        Thread.detachNewThread {
            while getppid() == expectedParent { usleep(500_000) }
            ShutdownSignals.deliver(SIGTERM)
        }
    }
}
