import Synchronization

/// Polls the cluster on an interval in a background task and posts each new snapshot (or the
/// failure) to the inbox. The UI thread never waits for it: a slow or dead broker makes a poll slow
/// or partial, which shows as a state on screen, never as a frozen screen.
public final class ClusterPoller: Sendable {
    private struct Settings {
        var interval: Double
        var pollNow = false
        /// Broker addresses to probe even when the metadata does not list them.
        var known: [Int32: String] = [:]
    }

    private let source: KafkaClusterSource
    private let inbox: EventInbox
    private let settings: Mutex<Settings>

    public init(source: KafkaClusterSource, inbox: EventInbox, interval: Double) {
        self.source = source
        self.inbox = inbox
        self.settings = Mutex(Settings(interval: interval))
    }

    public func setInterval(_ seconds: Double) { settings.withLock { $0.interval = seconds } }
    /// Polls again as soon as the current poll (if any) is done.
    public func pollNow() { settings.withLock { $0.pollNow = true } }
    public func setKnownBrokers(_ known: [Int32: String]) { settings.withLock { $0.known = known } }

    /// Polls until the task is cancelled.
    public func run() async {
        var previous: ClusterSnapshot?
        // After a failed poll (brokers still starting, or the cluster down) the next comes sooner:
        // 0.1 s, doubling up to the refresh interval.
        var retry: Double?
        while !Task.isCancelled {
            let started = Clocks.monotonic()
            let known = settings.withLock { s in
                s.pollNow = false
                return s.known
            }
            // Brokers seen in earlier polls are probed too, so a remote broker that disappears is told apart.
            var everyone = known
            for b in previous?.brokers ?? [] where everyone[b.id] == nil { everyone[b.id] = b.address }
            do {
                let observation = try await source.observe(known: everyone)
                let snapshot = SnapshotBuilder.build(observation, previous: previous)
                previous = snapshot
                inbox.post(.snapshot(snapshot))
                retry = nil
            } catch {
                inbox.post(.pollFailed(KafkaClusterSource.words(error)))
                retry = min(2 * (retry ?? 0.05), settings.withLock { $0.interval })
            }
            while !Task.isCancelled {
                let (interval, now) = settings.withLock { ($0.interval, $0.pollNow) }
                if now || Clocks.monotonic() >= started + (retry ?? interval) { break }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
