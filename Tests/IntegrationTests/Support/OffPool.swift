import Foundation

// Blocking work never runs on Swift's cooperative pool. The pool has one thread per core (two on
// the CI machine), Swift Testing runs every test of the process on it, and one test blocked in a
// process wait, a blocking socket read or a sleep loop holds a thread that all the other tests
// (and the async code they await) need. Shared by every test target (symlinked), see
// Tests/IntegrationTests/README.md, "Test support".

/// Runs blocking work on a thread of its own and resumes the caller when it returns, without
/// holding a cooperative thread meanwhile. Use it for a blocking API of the code under test, or a
/// tight loop of blocking calls (one thread for the whole loop rather than a hop per call).
///
///     let status = try await offPool { supervisor.stopAll(grace: 5) }
func offPool<T: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
    try await OffPoolTask(body).value
}

/// Blocking work started now on a thread of its own, awaited later: for requests that must be
/// under way at once, before the test goes on (several clients parked on a broker, say).
final class OffPoolTask<T: Sendable, Failure: Error>: Sendable {
    private let outcome = Latch<Result<T, Failure>>()

    init(_ body: @escaping @Sendable () throws(Failure) -> T) {
        let outcome = outcome
        Thread.detachNewThread { outcome.fire(Result(catching: body)) }
    }

    /// What the work returned or threw, once it has.
    var value: T {
        get async throws(Failure) {
            // Not cancellable: the thread runs to its end whatever the caller does, and the caller
            // gets what it did.
            try await outcome.valueIgnoringCancellation().get()
        }
    }
}

/// A value set once, awaited by any number of tasks; a wait ends early when its task is
/// cancelled or its timeout passes. Process exits and thread results go through it.
final class Latch<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `stored`, `waiters` and `nextWaiter` are only touched with `lock` held.
    private let lock = NSLock()
    private var stored: Value?
    private var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
    private var nextWaiter = 0

    init() {}

    /// Sets the value (the first call only) and resumes every waiter.
    func fire(_ value: Value) {
        lock.lock()
        guard stored == nil else {
            lock.unlock()
            return
        }
        stored = value
        let resumed = waiters.values
        waiters = [:]
        lock.unlock()
        for waiter in resumed { waiter.resume(returning: value) }
    }

    /// The value if it is set.
    var current: Value? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    /// The value once it is set; nil if the task is cancelled first.
    func wait() async -> Value? {
        let id = lock.withLock {
            nextWaiter += 1
            return nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                lock.lock()
                if let stored {
                    lock.unlock()
                    continuation.resume(returning: stored)
                } else if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(returning: nil)
                } else {
                    waiters[id] = continuation
                    lock.unlock()
                }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// The value once it is set, or nil when `timeout` passes first (or the task is cancelled).
    func wait(timeout: Duration) async -> Value? {
        if let current { return current }
        return await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? current
        }
    }

    /// The value once it is set, whether or not the task is cancelled meanwhile.
    func valueIgnoringCancellation() async -> Value {
        if let current { return current }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
            lock.lock()
            if let stored {
                lock.unlock()
                continuation.resume(returning: stored)
            } else {
                nextWaiter += 1
                waiters[nextWaiter] = continuation
                lock.unlock()
            }
        }!
    }
}

/// A non-Sendable value (a harness of the code under test) handed to an `offPool` body.
/// `@unchecked Sendable` is safe for this use only: the caller awaits the body before it touches
/// the value again, so one thread at a time uses it.
struct OffPoolHandoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
