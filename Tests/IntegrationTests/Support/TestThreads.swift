import Foundation
import Testing

// Tests that drive processes, brokers and clients against the clock run on threads of their own.
// Shared by every test target (symlinked).
//
// Why: at the start of `swift test` every test is enqueued on the cooperative pool (two threads
// here), hundreds of CPU-bound unit tests among them. An async test's await that resumes through
// a continuation (a process exit, a thread's result, an NIO future) is enqueued behind them and
// waits its turn, up to a minute and more at the start of a full run: a broker session or a
// request timeout then runs out between two lines of a test. (A `Task.sleep` wakeup is not
// queued that way, which is why polls were never the problem.)

/// The threads that run the tests of a suite marked `.onTestThreads`: a `TaskExecutor` of its own
/// (SE-0417), so that the test's code, the nonisolated async code it calls and its child tasks run
/// here, not on the cooperative pool. Nothing on these threads blocks either (the same rules
/// apply: `offPool` for blocking work).
final class TestThreads: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is only touched with `condition` locked.
    static let shared = TestThreads(count: 4)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(count: Int) {
        for index in 0..<count {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "test thread \(index + 1)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs each test of the suite (or the test) it marks on ``TestThreads``.
struct OnTestThreads: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(TestThreads.shared) { try await function() }
    }
}

extension Trait where Self == OnTestThreads {
    /// The test runs on ``TestThreads``, not on the cooperative pool: for tests that drive
    /// processes, brokers or clients against the clock.
    static var onTestThreads: Self { OnTestThreads() }
}
