import Dispatch
import Glibc

/// Turns SIGTERM, SIGINT and SIGHUP into a `.terminate` event, so the console quits the normal way
/// (brokers stopped cleanly, terminal restored) when it is asked to stop or its terminal closes.
final class SignalWatcher {
    private var sources: [any DispatchSourceSignal] = []

    init(inbox: EventInbox) {
        let queue = DispatchQueue(label: "sluice.console.signals")
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT"), (SIGHUP, "SIGHUP")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { inbox.post(.terminate(name)) }
            source.resume()
            sources.append(source)
        }
    }

    deinit { for s in sources { s.cancel() } }
}
