/// A rate measured over sample windows, as Kafka's `Rate` over a `SampledStat`
/// (`quota.window.num` samples of `quota.window.size.seconds` each): what a client quota is
/// checked against. A pure value: time comes in as milliseconds.
///
/// Samples start lazily at the time of the record that opens them; one older than
/// `samples × window` is forgotten (reset). The rate is the sum of the kept samples divided by the
/// time since the oldest one started, but never by less than `samples − 1` whole windows: a
/// client that just started is measured over that much, so it may send
/// `quota × (samples − 1) × window` bytes at once before it is throttled (Kafka's behaviour).
public struct QuotaRate: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        var startMs: Int64
        var value: Double
    }

    public let samples: Int
    public let windowMs: Int64
    private(set) var kept: [Sample] = []
    private var current = 0

    public init(samples: Int, windowMs: Int64) {
        precondition(samples >= 1 && windowMs >= 1)
        self.samples = samples
        self.windowMs = windowMs
    }

    /// Adds `value` (bytes; negative to take back a record) at `nowMs`.
    public mutating func record(_ value: Double, nowMs: Int64) {
        if kept.isEmpty {
            kept.append(Sample(startMs: nowMs, value: 0))
            current = 0
        } else if nowMs - kept[current].startMs >= windowMs {
            // The current sample is complete: open the next one (reusing the oldest slot).
            current = (current + 1) % samples
            if current >= kept.count {
                kept.append(Sample(startMs: nowMs, value: 0))
            } else {
                kept[current] = Sample(startMs: nowMs, value: 0)
            }
        }
        kept[current].value += value
    }

    /// Forgets samples that started `samples × window` or longer ago.
    private mutating func purge(nowMs: Int64) {
        let expireAge = Int64(samples) * windowMs
        for i in kept.indices where kept[i].startMs <= nowMs - expireAge {
            kept[i] = Sample(startMs: nowMs, value: 0)
        }
    }

    /// The time the rate is measured over at `nowMs`, in ms (Kafka's `Rate.windowSize`).
    public mutating func windowSizeMs(nowMs: Int64) -> Int64 {
        purge(nowMs: nowMs)
        let oldest = kept.map(\.startMs).min() ?? nowMs
        var elapsed = nowMs - oldest
        let fullWindows = elapsed / windowMs
        let minFullWindows = Int64(samples - 1)
        if fullWindows < minFullWindows { elapsed += (minFullWindows - fullWindows) * windowMs }
        return max(elapsed, 1)
    }

    /// Units per second at `nowMs`.
    public mutating func rate(nowMs: Int64) -> Double {
        let window = windowSizeMs(nowMs: nowMs)
        let total = kept.reduce(0) { $0 + $1.value }
        return total / (Double(window) / 1000)
    }

    /// Records `value` and returns how long the client must wait, in ms, for the rate to come
    /// back to `limit` if it sent nothing more (0 when within it): Kafka's
    /// `(observed − limit) / limit × window`.
    public mutating func recordAndThrottle(_ value: Double, limit: Double, nowMs: Int64) -> Int64 {
        record(value, nowMs: nowMs)
        let observed = rate(nowMs: nowMs)
        guard observed > limit else { return 0 }
        guard limit > 0 else { return Int64(samples) * windowMs }
        let window = Double(windowSizeMs(nowMs: nowMs))
        return Int64(((observed - limit) / limit * window).rounded())
    }

    /// Whether nothing recorded is left at `nowMs` (the rate can be dropped).
    public mutating func isIdle(nowMs: Int64) -> Bool {
        purge(nowMs: nowMs)
        return kept.allSatisfy { $0.value == 0 }
    }
}
