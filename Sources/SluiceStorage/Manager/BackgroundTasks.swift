import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// Dedicated threads that run periodic storage work (retention, flushes, checkpoints, the
/// cleaner) until stopped. Disk work never runs on an event loop.
final class BackgroundTasks: Sendable {
    /// 0 while running, 1 once stopping; threads sleep on it so that a stop wakes them at once.
    private let stopSignal = ConditionLock(value: 0)
    private let running = DispatchGroup()

    /// Starts a thread that calls `body` every `intervalMs` (measured from the end of the last
    /// call) until ``stop()``. Errors are the body's to log.
    func every(_ name: String, intervalMs: @escaping @Sendable () -> Int64, _ body: @escaping @Sendable () -> Void) {
        running.enter()
        let thread = Thread { [stopSignal, running] in
            defer { running.leave() }
            while true {
                let seconds = Double(max(1, intervalMs())) / 1000
                if stopSignal.lock(whenValue: 1, timeoutSeconds: seconds) {
                    stopSignal.unlock()
                    return
                }
                body()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Asks every thread to stop and waits until they have.
    func stop() {
        stopSignal.lock()
        stopSignal.unlock(withValue: 1)
        running.wait()
    }
}
