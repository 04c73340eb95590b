import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Processes a test runs: started from one long-lived thread, their exits awaited through
// `terminationHandler` (Foundation reaps them), never polled from a sleeping thread. Shared by
// every test target that runs processes (symlinked).

/// A process a test starts. Configure ``process`` (output files, input, environment), then
/// ``start()``; await its exit with ``exited(within:)``; end it with ``stop(grace:)`` (SIGTERM,
/// then SIGKILL) or ``kill9()``. Every test stops the processes it started, on every path (see
/// ``withResource(_:stop:_:)``); a `ChildProcess` released while its process runs SIGKILLs it.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is configured by the test before `start()` and from then on only read
    // (Foundation's Process guards its state); the exit status goes through a Latch.
    let process: Process
    private let exit = Latch<Int32>()
    private let launched = Latch<Void>()

    init(_ executable: String, _ arguments: [String]) {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }

    /// Starts the process (from ``ProcessStarter``'s thread).
    func start() async throws {
        let exit = exit
        process.terminationHandler = { exit.fire($0.terminationStatus) }
        try await ProcessStarter.shared.run { try self.process.run() }
        launched.fire(())
    }

    var pid: Int32 { process.processIdentifier }

    /// Started and not yet exited.
    var isRunning: Bool { launched.current != nil && exit.current == nil }

    /// The exit status (or the signal that ended it) once it exited and was reaped.
    var exitStatus: Int32? { exit.current }

    /// Waits for the process to exit (no thread is held meanwhile); false when `timeout` passes
    /// first or the process was never started.
    @discardableResult
    func exited(within timeout: Duration) async -> Bool {
        guard launched.current != nil else { return false }
        return await exit.wait(timeout: timeout) != nil
    }

    /// Sends `signal` while the process runs.
    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then up to `grace` for the exit, then SIGKILL. The exit status, nil when the
    /// process had to be killed (or never started).
    @discardableResult
    func stop(grace: Duration = .seconds(30)) async -> Int32? {
        guard launched.current != nil else { return nil }
        signal(SIGTERM)
        if await exited(within: grace) { return exit.current }
        await kill9()
        return nil
    }

    /// SIGKILL (a crash: no clean shutdown), then waits until the process is reaped.
    func kill9() async {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        // SIGKILL cannot be caught: a longer wait would mean a machine too stuck to test on.
        await exited(within: .seconds(60))
    }

    deinit {
        if isRunning { kill(pid, SIGKILL) }
    }
}

/// The one thread that starts every process of the test run, which never ends. Linux ties
/// PR_SET_PDEATHSIG (`sluice broker --exit-with-parent`) to the *thread* that spawned a child:
/// a broker spawned from a thread that ends later — an `offPool` thread, or a cooperative thread
/// that libdispatch retires after a few idle seconds — would get SIGTERM then.
final class ProcessStarter: @unchecked Sendable {
    // @unchecked: `jobs` is only touched with `condition` locked.
    static let shared = ProcessStarter()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "test process starter"
        thread.start()
    }

    /// Runs `body` (a `Process.run()`: fork and exec, quick) on the starter thread.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = Latch<Result<T, any Error>>()
        enqueue { outcome.fire(Result { try body() }) }
        return try await outcome.valueIgnoringCancellation().get()
    }

    private func enqueue(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        // A child starts with its parent thread's signal mask. This thread is made from whatever
        // thread first needed it (a libdispatch worker or a test thread, which may block
        // signals); a child that inherits a blocked SIGTERM ignores `stop()` until its grace runs
        // out. Children start with nothing blocked.
        var nothing = sigset_t()
        sigemptyset(&nothing)
        pthread_sigmask(SIG_SETMASK, &nothing, nil)
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs = []
            condition.unlock()
            for job in batch { job() }
        }
    }
}
