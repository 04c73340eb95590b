import Foundation

// Waiting for a condition: poll it, sleeping with `Task.sleep` in between (which holds no thread),
// never `usleep` or `Thread.sleep`. Shared by every test target (symlinked).

/// A wait that ran out of time; the message says what was awaited (and the last error seen).
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Evaluates `condition` now and then every `interval` until it returns true; returns how long
/// that took. Throws ``TimedOut`` when `timeout` passes first, and whatever `condition` throws
/// (a condition that should ride out errors catches them: `(try? await f()) == true`).
///
///     try await poll(until: "broker 2 fenced", timeout: .seconds(10)) { image().brokers[2]?.fenced == true }
@discardableResult
func poll(until what: @autoclosure () -> String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(50),
          _ condition: () async throws -> Bool) async throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    while true {
        if try await condition() { return clock.now - start }
        guard clock.now - start < timeout else {
            throw TimedOut(description: "timed out after \(timeout.timeInterval) s waiting for \(what())")
        }
        try await Task.sleep(for: interval)
    }
}

/// Like ``poll(until:timeout:every:_:)``, but false at the timeout instead of an error: for checks
/// that go on either way (`#expect(await eventually { ... })`).
func eventually(timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(50),
                _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let start = clock.now
    while true {
        if try await condition() { return true }
        guard clock.now - start < timeout else { return false }
        // Cancelled: the test is over, its answer no longer matters.
        guard (try? await Task.sleep(for: interval)) != nil else { return false }
    }
}

extension Duration {
    /// The duration in seconds, as a Double (for messages and for APIs that take seconds).
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
