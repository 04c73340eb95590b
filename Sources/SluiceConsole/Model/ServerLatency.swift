/// A broker's request-time histograms for produce and fetch, as its `/metrics` exports them
/// (`kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="..."}`: cumulative
/// counts since the broker started), and the throttle time it gave each client quota entity
/// (`sluice_quota_client_throttle_time_ms_total`, a Sluice broker's, once a client is throttled).
public struct ServerLatencyHistograms: Equatable, Sendable {
    public var produce: CumulativeHistogram?
    public var fetch: CumulativeHistogram?
    /// Throttle time in ms since the broker started, by quota entity.
    public var clientThrottleMs: [ClientThrottleKey: Double] = [:]

    public init(produce: CumulativeHistogram? = nil, fetch: CumulativeHistogram? = nil,
                clientThrottleMs: [ClientThrottleKey: Double] = [:]) {
        self.produce = produce
        self.fetch = fetch
        self.clientThrottleMs = clientThrottleMs
    }

    static let bucketPrefix = "kafka_network_requestmetrics_totaltimems_bucket{"
    static let throttlePrefix = "sluice_quota_client_throttle_time_ms_total{"

    /// Reads the Produce and Fetch histograms out of a Prometheus text exposition.
    public static func parse(_ text: Substring) -> ServerLatencyHistograms {
        var produce: [(Double, Double)] = [], fetch: [(Double, Double)] = []
        var throttles: [ClientThrottleKey: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(throttlePrefix) {
            guard let close = line.lastIndex(of: "}"), let value = Double(line[line.index(after: close)...].drop { $0 == " " })
            else { continue }
            let labels = line[line.index(line.startIndex, offsetBy: throttlePrefix.count)..<close]
            guard let quota = label("quota", in: labels) else { continue }
            let key = ClientThrottleKey(quota: quota, user: label("user", in: labels) ?? "", clientId: label("client_id", in: labels) ?? "")
            throttles[key, default: 0] += value
        }
        for line in text.split(separator: "\n") where line.hasPrefix(bucketPrefix) {
            guard let close = line.lastIndex(of: "}"), let value = Double(line[line.index(after: close)...].drop { $0 == " " })
            else { continue }
            let labels = line[line.index(line.startIndex, offsetBy: bucketPrefix.count)..<close]
            guard let le = label("le", in: labels).flatMap({ $0 == "+Inf" ? Double.infinity : Double($0) }) else { continue }
            switch label("request", in: labels) {
            case "Produce": produce.append((le, value))
            case "Fetch": fetch.append((le, value))
            default: break
            }
        }
        func histogram(_ pairs: [(Double, Double)]) -> CumulativeHistogram? {
            pairs.isEmpty ? nil : CumulativeHistogram(buckets: pairs.sorted { $0.0 < $1.0 }.map { .init(upperBound: $0.0, count: $0.1) })
        }
        return ServerLatencyHistograms(produce: histogram(produce), fetch: histogram(fetch), clientThrottleMs: throttles)
    }

    private static func label(_ name: String, in labels: Substring) -> String? {
        // At the start or after a comma: `user` must not match inside `client_user`.
        guard let start = labels.hasPrefix(name + "=\"") ? labels.range(of: name + "=\"")
                : labels.range(of: "," + name + "=\"") else { return nil }
        let rest = labels[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

/// A Prometheus histogram: cumulative counts per upper bound, the last one +Inf.
public struct CumulativeHistogram: Equatable, Sendable {
    public struct Bucket: Equatable, Sendable {
        public var upperBound: Double
        public var count: Double
    }

    public var buckets: [Bucket]

    public init(buckets: [Bucket]) { self.buckets = buckets }

    /// The `q` quantile of the observations made since `previous` (all of them without one), by
    /// linear interpolation inside the bucket that holds it, as Prometheus' `histogram_quantile`
    /// does; nil when nothing was observed meanwhile. A quantile in the +Inf bucket is the highest
    /// finite bound.
    public func quantile(_ q: Double, since previous: CumulativeHistogram?) -> Double? {
        let base = previous.map { p in Dictionary(p.buckets.map { ($0.upperBound, $0.count) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
        let counts = buckets.map { max(0, $0.count - (base[$0.upperBound] ?? 0)) }
        guard let total = counts.last, total > 0 else { return nil }
        let rank = q * total
        var lowerBound = 0.0, lowerCount = 0.0
        for (index, bucket) in buckets.enumerated() {
            if counts[index] >= rank {
                if bucket.upperBound.isInfinite { return lowerBound }
                let inBucket = counts[index] - lowerCount
                return inBucket <= 0 ? bucket.upperBound
                    : lowerBound + (bucket.upperBound - lowerBound) * (rank - lowerCount) / inBucket
            }
            lowerBound = bucket.upperBound
            lowerCount = counts[index]
        }
        return lowerBound
    }
}

/// A client quota entity as a broker measures it: the quota type (`produce`, `fetch`), the user
/// and the client id ("" where the quota does not distinguish them).
public struct ClientThrottleKey: Hashable, Sendable, Comparable {
    public var quota: String
    public var user: String
    public var clientId: String

    public init(quota: String, user: String, clientId: String) {
        self.quota = quota
        self.user = user
        self.clientId = clientId
    }

    /// `client-id loader`, `user alice`, `alice/loader`.
    public var entity: String {
        switch (user.isEmpty, clientId.isEmpty) {
        case (true, false): return clientId
        case (false, true): return "user \(user)"
        default: return "\(user)/\(clientId)"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { (a.clientId, a.user, a.quota) < (b.clientId, b.user, b.quota) }
}

/// A client a broker is throttling: its share of throttle time over the last poll (1000 ms/s:
/// held all the time).
public struct ThrottledClient: Equatable, Sendable {
    public var key: ClientThrottleKey
    public var msPerSecond: Double

    public init(key: ClientThrottleKey, msPerSecond: Double) {
        self.key = key
        self.msPerSecond = msPerSecond
    }
}
