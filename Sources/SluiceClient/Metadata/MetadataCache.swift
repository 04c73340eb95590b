import KafkaProtocol
import NIOConcurrencyHelpers

/// The client's view of the cluster, refreshed on demand.
///
/// Readers on hot paths (the producer's partitioner) take the current snapshot without waiting.
/// A refresh asks any broker for the brokers and the topics of interest (every topic ever asked
/// about, so that one refresh serves every user of the client); refreshes that overlap share one
/// request. Errors that mean the cache is stale (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
/// a broken connection, ...) mark it so, and the next user refreshes it.
final class MetadataCache: Sendable {
    private struct State {
        var snapshot = ClusterMetadata()
        var refreshedAt: ContinuousClock.Instant?
        var stale = true
        var topics: Set<String> = []
        var wantsAllTopics = false
        var inFlight: Task<ClusterMetadata, Error>?
        var inFlightCovers: (all: Bool, topics: Set<String>) = (false, [])
    }

    /// Protects `State`; held only for short, non-suspending sections.
    private let state = NIOLockedValueBox(State())
    private let maxAge: Duration

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// The latest snapshot, however old.
    var current: ClusterMetadata { state.withLockedValue { $0.snapshot } }

    /// Reads the latest snapshot in place (no copy), for hot paths.
    func withCurrent<R>(_ body: (ClusterMetadata) -> R) -> R {
        state.withLockedValue { body($0.snapshot) }
    }

    /// Marks the cache stale: the next ``get(topics:fetch:)`` refreshes it.
    func invalidate() {
        state.withLockedValue { $0.stale = true }
    }

    /// The snapshot, refreshed first when stale, too old, or missing one of `topics` (nil = every
    /// topic of the cluster). `fetch` sends one Metadata request for the given topic list.
    func get(topics wanted: Set<String>?, forceRefresh: Bool = false,
             fetch: @escaping @Sendable (_ topics: Set<String>?) async throws -> ClusterMetadata) async throws -> ClusterMetadata {
        let now = ContinuousClock.now
        enum Step { case done(ClusterMetadata), wait(Task<ClusterMetadata, Error>) }
        let step: Step = state.withLockedValue { s in
            if let wanted { s.topics.formUnion(wanted) } else { s.wantsAllTopics = true }
            let fresh = !s.stale && s.refreshedAt.map { now - $0 < maxAge } == true
            let covered = wanted.map { $0.allSatisfy { s.snapshot.topics[$0] != nil } } ?? false
            if !forceRefresh && fresh && covered { return .done(s.snapshot) }
            if let task = s.inFlight {
                let coversRequest = s.inFlightCovers.all || (wanted.map { $0.isSubset(of: s.inFlightCovers.topics) } ?? false)
                if coversRequest { return .wait(task) }
            }
            let all = wanted == nil
            let topics = s.topics
            let previous = s.inFlight
            let task = Task<ClusterMetadata, Error> {
                _ = try? await previous?.value
                return try await fetch(all ? nil : topics)
            }
            s.inFlight = task
            s.inFlightCovers = (all, topics)
            return .wait(task)
        }
        switch step {
        case let .done(snapshot):
            return snapshot
        case let .wait(task):
            do {
                let snapshot = try await task.value
                state.withLockedValue { s in
                    if s.inFlight == task {
                        s.inFlight = nil
                    }
                    if s.refreshedAt.map({ $0 < now }) ?? true {
                        // A full listing replaces the topic map; a partial one updates the topics it names.
                        var merged = snapshot
                        if wanted != nil {
                            for (name, topic) in s.snapshot.topics where merged.topics[name] == nil && !s.topics.contains(name) {
                                merged.topics[name] = topic
                            }
                        }
                        s.snapshot = merged
                        s.refreshedAt = now
                        s.stale = false
                    }
                }
                return snapshot
            } catch {
                state.withLockedValue { s in if s.inFlight == task { s.inFlight = nil } }
                throw error
            }
        }
    }
}
