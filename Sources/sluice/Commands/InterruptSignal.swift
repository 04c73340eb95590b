import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM for the client commands: the first one cancels the running work
/// so that it can finish cleanly (commit, leave the group, print a summary); a second one exits
/// at once.
final class InterruptSignal {
    private let sources: [any DispatchSourceSignal]
    private let fired: ManagedFlag

    /// Cancels `task` on the first signal.
    init(cancelling task: Task<Void, Never>) {
        let fired = ManagedFlag()
        self.fired = fired
        var sources: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "sluice.interrupt")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if fired.set() { exit(CommandExitCode.interrupted) }
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Whether a signal arrived.
    var wasInterrupted: Bool { fired.value }

    func cancel() {
        for s in sources { s.cancel() }
    }
}

/// A flag set once, from any thread.
final class ManagedFlag: Sendable {
    private let storage = NIOLockedBool()

    /// Sets the flag; returns whether it was already set.
    func set() -> Bool { storage.exchange(true) }
    var value: Bool { storage.load() }
}

import NIOConcurrencyHelpers

final class NIOLockedBool: Sendable {
    private let box = NIOLockedValueBox(false)
    func exchange(_ new: Bool) -> Bool { box.withLockedValue { old in defer { old = new }; return old } }
    func load() -> Bool { box.withLockedValue { $0 } }
}

/// Runs `work` in a task that Ctrl-C cancels; returns whether it was interrupted.
func runInterruptible(_ work: @escaping @Sendable () async throws -> Void) async throws -> Bool {
    let box = NIOLockedValueBox<Result<Void, Error>>(.success(()))
    let task = Task<Void, Never> {
        do { try await work() } catch { box.withLockedValue { $0 = .failure(error) } }
    }
    let signals = InterruptSignal(cancelling: task)
    await task.value
    signals.cancel()
    if case let .failure(error) = box.withLockedValue({ $0 }), !(error is CancellationError) || !signals.wasInterrupted {
        throw error
    }
    return signals.wasInterrupted
}
