import SluiceBase

/// A group's committed offsets over the last few polls, for its consumption rate.
///
/// Consumers commit in steps (every `auto.commit.interval.ms`: 5 s by default in Kafka's clients,
/// 1 s for the demo load), so the growth between two successive polls is mostly zero with a jump
/// now and then. The rate is taken over a window instead: from the oldest poll of the last
/// ``window`` seconds to the newest, which a commit interval up to the window's length spreads out
/// evenly. With two polls it is the plain difference between them.
public struct CommitHistory: Equatable, Sendable {
    /// Seconds of history the rate is measured over (Kafka's default commit interval).
    public static let window: Double = 5

    public struct Sample: Equatable, Sendable {
        /// Monotonic seconds of the poll.
        public var time: Double
        public var committed: [TopicPartition: Int64]
    }

    /// Oldest first; the newest is the latest poll.
    public private(set) var samples: [Sample] = []

    public init() {}

    /// This history with the poll at `time` added, trimmed to the window (the poll just before
    /// the window is kept, so that a window with one poll in it still has a base).
    public func appending(_ committed: [TopicPartition: Int64], at time: Double) -> CommitHistory {
        var copy = self
        copy.samples.append(Sample(time: time, committed: committed))
        while copy.samples.count > 2, copy.samples[1].time <= time - Self.window { copy.samples.removeFirst() }
        return copy
    }

    /// This history as if the partitions in `offsets` had always been at those offsets: a reset
    /// moves a group's committed offset without anyone consuming, and must not read as consumption.
    public func rebasing(_ offsets: [TopicPartition: Int64]) -> CommitHistory {
        guard !offsets.isEmpty else { return self }
        var copy = self
        for i in copy.samples.indices {
            for (key, offset) in offsets where copy.samples[i].committed[key] != nil { copy.samples[i].committed[key] = offset }
        }
        return copy
    }

    /// Messages committed per second on each partition, from the oldest sample to the newest.
    /// Offsets that moved back (a reset) count as no consumption.
    public var ratePerPartition: [TopicPartition: Double] {
        guard let base = samples.first, let newest = samples.last, newest.time > base.time else { return [:] }
        let dt = newest.time - base.time
        var rates: [TopicPartition: Double] = [:]
        for (key, offset) in newest.committed {
            guard let before = base.committed[key], offset > before else { continue }
            rates[key] = Double(offset - before) / dt
        }
        return rates
    }
}
