import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// Ctrl-C and SIGTERM during `sluice verify`: the brokers of a cluster that verify started itself
/// are stopped (SIGKILL: its data is thrown away anyway) and its directory removed before exiting,
/// so that an interrupted run, or a test that gives up on one, leaves no broker processes behind.
final class VerifyInterrupt {
    private let cleanup = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)
    private let sources: [any DispatchSourceSignal]

    init() {
        let cleanup = self.cleanup
        var sources: [any DispatchSourceSignal] = []
        let queue = DispatchQueue(label: "sluice.verify.interrupt")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                FileHandle.standardError.write(Data("sluice verify: interrupted; stopping the brokers it started\n".utf8))
                cleanup.withLockedValue { $0 }?()
                exit(CommandExitCode.interrupted)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// What to do on a signal (nil: just exit).
    func onInterrupt(_ body: (@Sendable () -> Void)?) { cleanup.withLockedValue { $0 = body } }

    func cancel() { sources.forEach { $0.cancel() } }
}
