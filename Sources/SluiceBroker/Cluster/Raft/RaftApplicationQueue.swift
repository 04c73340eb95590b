import Dispatch
import Logging
import SluiceRaft

/// The application's side of the metadata quorum: one serial dispatch queue on which the metadata
/// log replays committed entries and the controller runs — Kafka's controller event queue beside
/// `KafkaRaftClient`'s own thread. The Raft queue hands it committed entries, snapshots and
/// leader changes in log order and never waits for it: replaying a batch of 10,000 records or
/// placing a topic of 10,000 partitions delays no tick, fetch or vote.
///
/// Everything mutable below is touched only on `queue`, which is what makes the class Sendable.
final class RaftApplicationQueue: @unchecked Sendable {
    private let queue: DispatchQueue
    private let tickMs: Int
    private let logger: Logger
    // Confined to `queue`:
    private var application: (any RaftApplication)?
    private var stopped = false
    private var timer: (any DispatchSourceTimer)?

    init(label: String, tickMs: Int, logger: Logger) {
        queue = DispatchQueue(label: label)
        self.tickMs = tickMs
        self.logger = logger
    }

    /// A job this long is logged: it delays the controller's answers (heartbeats among them).
    static let slowJobMs: UInt64 = 500

    private func timed(_ what: @autoclosure () -> String, _ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let took = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        if took >= Self.slowJobMs { logger.warning("metadata: \(what()) took \(took) ms on the application queue") }
    }

    /// Starts delivering to `application` and ticking its timers (controller leases, rebalancing)
    /// every tick. Deliveries queued before this wait behind it (the queue is serial).
    func start(_ application: any RaftApplication, driver: RaftDriver) {
        queue.async { [self] in
            self.application = application
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + .milliseconds(tickMs), repeating: .milliseconds(tickMs),
                           leeway: .milliseconds(max(1, tickMs / 5)))
            timer.setEventHandler { [weak self, weak driver] in
                guard let self, let driver, !self.stopped else { return }
                self.application?.tick(nowMs: driver.nowMs, driver: driver)
            }
            self.timer = timer
            timer.resume()
        }
    }

    /// Runs `body` with the application, after everything delivered before (log order).
    func deliver(_ what: @escaping @autoclosure @Sendable () -> String, _ body: @escaping @Sendable (any RaftApplication) -> Void) {
        queue.async { [self] in
            guard !stopped, let application else { return }
            timed(what()) { body(application) }
        }
    }

    /// Runs `body` on the queue (the controller's requests); `ifStopped` instead once stopped, so
    /// that a caller's promise is answered.
    func submit(_ body: @escaping @Sendable () -> Void, ifStopped: (@Sendable () -> Void)?) {
        queue.async { [self] in
            if stopped {
                ifStopped?()
            } else {
                timed("a controller request") { body() }
            }
        }
    }

    /// Gives the application `last` (after everything delivered before), then stops: nothing runs
    /// after this returns. The caller (a task) waits without holding a thread.
    func stop(last: @escaping @Sendable (any RaftApplication) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                if !stopped, let application { last(application) }
                stopped = true
                timer?.cancel()
                timer = nil
                continuation.resume()
            }
        }
    }
}
