/// One timed value of a series.
public struct RateSample: Equatable, Sendable {
    /// Monotonic seconds.
    public var time: Double
    public var value: Double

    public init(time: Double, value: Double) {
        self.time = time
        self.value = value
    }
}

/// A bounded history of a rate (or a lag), for sparklines and 60-second trends.
public struct RateSeries: Equatable, Sendable {
    /// Samples older than this (relative to the newest) are dropped.
    public static let retention: Double = 120
    public private(set) var samples: [RateSample] = []

    public init(_ samples: [RateSample] = []) { self.samples = samples }

    /// The newest value, or 0 when empty.
    public var latest: Double { samples.last?.value ?? 0 }

    /// This series with one more sample, old ones trimmed.
    public func appending(_ value: Double, at time: Double) -> RateSeries {
        var copy = self
        copy.samples.append(RateSample(time: time, value: value))
        let cutoff = time - Self.retention
        if let first = copy.samples.firstIndex(where: { $0.time >= cutoff }), first > 0 {
            copy.samples.removeFirst(first)
        }
        return copy
    }

    /// The values of the last `window` seconds, resampled to `buckets` columns.
    public func trend(buckets: Int, window: Double = 60) -> [Double] {
        guard let end = samples.last?.time else { return [] }
        return Sparkline.resample(samples, buckets: buckets, window: window, end: end)
    }
}

/// Messages and bytes per second, in and out.
public struct Throughput: Equatable, Sendable {
    public var messagesIn: Double = 0
    public var bytesIn: Double = 0
    /// Consumed messages per second, from the growth of committed offsets (consumers that never
    /// commit are invisible through the Kafka protocol).
    public var messagesOut: Double = 0
    public var bytesOut: Double = 0

    public init(messagesIn: Double = 0, bytesIn: Double = 0, messagesOut: Double = 0, bytesOut: Double = 0) {
        self.messagesIn = messagesIn
        self.bytesIn = bytesIn
        self.messagesOut = messagesOut
        self.bytesOut = bytesOut
    }

    public static func + (a: Throughput, b: Throughput) -> Throughput {
        Throughput(
            messagesIn: a.messagesIn + b.messagesIn, bytesIn: a.bytesIn + b.bytesIn,
            messagesOut: a.messagesOut + b.messagesOut, bytesOut: a.bytesOut + b.bytesOut
        )
    }
}
