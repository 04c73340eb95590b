import Foundation
import NIOConcurrencyHelpers

/// Measures what clients produce and fetch against their quotas (Kafka's `ClientQuotaManager`
/// for the `Produce` and `Fetch` quota types) and says how long to throttle them.
///
/// One ``QuotaRate`` per quota type and ``ClientQuotaTags`` — clients that fall under the same
/// quota entity share it (see ``ClientQuotaImage/quota(for:user:clientId:)``) — in 16 shards,
/// each a short lock around a dictionary. The limit is looked up in the image at each record, so
/// a changed quota applies at once. With no quota in the image nothing is measured or locked.
/// Rates idle for an hour are dropped (Kafka expires inactive quota sensors after an hour).
public final class ClientQuotaManager: Sendable {
    public enum QuotaType: Sendable, Hashable {
        case produce
        case fetch

        public var key: String {
            switch self {
            case .produce: return ClientQuotaKey.producerByteRate
            case .fetch: return ClientQuotaKey.consumerByteRate
            }
        }
    }

    private struct RateKey: Hashable {
        var type: QuotaType
        var tags: ClientQuotaTags
    }

    private struct Shard {
        var rates: [RateKey: (rate: QuotaRate, lastUsedMs: Int64)] = [:]
        var lastSweepMs: Int64 = 0
    }

    /// `quota.window.num` and `quota.window.size.seconds`.
    public let samples: Int
    public let windowMs: Int64
    private let shards: [NIOLockedValueBox<Shard>]
    private let clock: @Sendable () -> Int64
    private static let idleExpiryMs: Int64 = 3_600_000

    public init(samples: Int, windowSeconds: Int, clock: @escaping @Sendable () -> Int64 = ClientQuotaManager.wallClockMs) {
        self.samples = max(1, samples)
        self.windowMs = Int64(max(1, windowSeconds)) * 1000
        self.shards = (0..<16).map { _ in NIOLockedValueBox(Shard()) }
        self.clock = clock
    }

    public static let wallClockMs: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    private func shard(_ key: RateKey) -> NIOLockedValueBox<Shard> {
        var hasher = Hasher()
        hasher.combine(key)
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
    }

    /// Records `bytes` for a client of `user` (the principal's name) and `clientId` and returns
    /// how long it must be throttled, in ms (0: within its quota, or no quota applies).
    public func recordAndThrottle(_ type: QuotaType, bytes: Int, user: String, clientId: String,
                                  quotas: ClientQuotaImage) -> Int64 {
        record(type, bytes: bytes, user: user, clientId: clientId, quotas: quotas).throttleMs
    }

    /// ``recordAndThrottle(_:bytes:user:clientId:quotas:)`` with the entity the bytes counted
    /// against (nil: no quota applies).
    public func record(_ type: QuotaType, bytes: Int, user: String, clientId: String,
                       quotas: ClientQuotaImage) -> (throttleMs: Int64, tags: ClientQuotaTags?) {
        guard let quota = quotas.quota(for: type.key, user: user, clientId: clientId) else { return (0, nil) }
        let key = RateKey(type: type, tags: quota.tags)
        let now = clock()
        return (shard(key).withLockedValue { shard in
            sweep(&shard, now: now)
            var entry = shard.rates[key] ?? (QuotaRate(samples: samples, windowMs: windowMs), now)
            let throttle = entry.rate.recordAndThrottle(Double(bytes), limit: quota.limit, nowMs: now)
            entry.lastUsedMs = now
            shard.rates[key] = entry
            return throttle
        }, quota.tags)
    }

    /// Takes back bytes recorded for a response that was not sent (a throttled fetch answers
    /// empty), as Kafka's `unrecordQuotaSensor`.
    public func unrecord(_ type: QuotaType, bytes: Int, user: String, clientId: String, quotas: ClientQuotaImage) {
        guard let quota = quotas.quota(for: type.key, user: user, clientId: clientId) else { return }
        let key = RateKey(type: type, tags: quota.tags)
        let now = clock()
        shard(key).withLockedValue { shard in
            shard.rates[key]?.rate.record(-Double(bytes), nowMs: now)
        }
    }

    /// The most a client may get in one response without being throttled for it alone
    /// (Kafka's `getMaxValueInQuotaWindow`: limit × (samples − 1) × window); nil without a quota.
    /// Caps a consumer fetch's `max_bytes`.
    public func maxBytesInWindow(_ type: QuotaType, user: String, clientId: String, quotas: ClientQuotaImage) -> Int? {
        guard let quota = quotas.quota(for: type.key, user: user, clientId: clientId) else { return nil }
        let bytes = quota.limit * Double(samples - 1) * Double(windowMs) / 1000
        return bytes >= Double(Int32.max) ? nil : Int(bytes)
    }

    /// The measured rate of a quota entity (tests, the CLI's view of throttling).
    public func rate(_ type: QuotaType, tags: ClientQuotaTags) -> Double? {
        let key = RateKey(type: type, tags: tags)
        let now = clock()
        return shard(key).withLockedValue { shard in shard.rates[key]?.rate.rate(nowMs: now) }
    }

    /// Drops rates unused for an hour, at most once a minute per shard.
    private func sweep(_ shard: inout Shard, now: Int64) {
        guard now - shard.lastSweepMs >= 60_000 else { return }
        shard.lastSweepMs = now
        shard.rates = shard.rates.filter { now - $0.value.lastUsedMs < Self.idleExpiryMs }
    }
}
