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
        /// The brokers' HTTP metrics endpoints (embedded clusters), scraped with each poll.
        var metrics: [Int32: MetricsEndpoint] = [:]
        /// Until this monotonic time, polls come every `quickInterval` while the cluster does not yet
        /// list every known broker with a controller (brokers just started are shown up at once).
        var quickUntil: Double = 0
    }

    /// How often to poll while started brokers are expected to join.
    static let quickInterval = 0.15

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
    public func setMetricsEndpoints(_ endpoints: [Int32: MetricsEndpoint]) { settings.withLock { $0.metrics = endpoints } }
    /// Brokers were just started: poll every `quickInterval` until the cluster lists all of them
    /// with a controller, for at most `seconds`, instead of waiting a whole refresh interval.
    public func pollQuickly(for seconds: Double) {
        settings.withLock { $0.quickUntil = max($0.quickUntil, Clocks.monotonic() + seconds) }
    }

    /// Polls until the task is cancelled.
    public func run() async {
        var previous: ClusterSnapshot?
        // After a failed poll (brokers still starting, or the cluster down) the next comes sooner:
        // 0.1 s, doubling up to the refresh interval.
        var retry: Double?
        while !Task.isCancelled {
            let started = Clocks.monotonic()
            let (known, metrics) = settings.withLock { s in
                s.pollNow = false
                return (s.known, s.metrics)
            }
            // Brokers seen in earlier polls are probed too, so a remote broker that disappears is told apart.
            var everyone = known
            for b in previous?.brokers ?? [] where everyone[b.id] == nil { everyone[b.id] = b.address }
            do {
                let observation = try await source.observe(known: everyone, metrics: metrics)
                let snapshot = SnapshotBuilder.build(observation, previous: previous)
                previous = snapshot
                inbox.post(.snapshot(snapshot))
                retry = nil
                let complete = snapshot.controllerID.map { $0 >= 0 } == true
                    && known.keys.allSatisfy { id in snapshot.brokers.contains { $0.id == id && $0.registered } }
                settings.withLock { s in
                    if complete { s.quickUntil = 0 } else if Clocks.monotonic() < s.quickUntil { retry = Self.quickInterval }
                }
            } catch {
                inbox.post(.pollFailed(KafkaClusterSource.words(error)))
                // Which brokers still accept connections: a remote cluster's dead brokers show down.
                if !everyone.isEmpty { inbox.post(.brokerProbes(await source.probe(known: everyone))) }
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
