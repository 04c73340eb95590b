import KafkaProtocol
import Testing
@testable import SluiceBroker

/// The quota model without a broker: the sampled rate and Kafka's throttle formula, the
/// precedence of user / client-id / default entities, DescribeClientQuotas filters, the
/// `ClientQuotaRecord` layout and replay, and the controller's validation.
@Suite struct ClientQuotaModelTests {
    typealias Entity = ClientQuotaEntity

    // MARK: Rate and throttle time

    /// A new client is measured over `samples − 1` windows at least (Kafka's `Rate.windowSize`).
    @Test func aNewRateIsMeasuredOverAllButOneWindow() {
        var rate = QuotaRate(samples: 11, windowMs: 1000)
        rate.record(5_000, nowMs: 100_000)
        #expect(rate.windowSizeMs(nowMs: 100_000) == 10_000)
        #expect(rate.rate(nowMs: 100_000) == 500)
        // 10.5 s later the first sample is still kept: measured over the 10.5 s elapsed.
        rate.record(0, nowMs: 110_500)
        #expect(rate.windowSizeMs(nowMs: 110_500) == 10_500)
        // After samples × window (11 s) the first sample is forgotten.
        #expect(rate.rate(nowMs: 111_000) == 0)
    }

    /// Kafka's throttle time: (observed − limit) / limit × window, the delay that brings the rate
    /// back to the limit if nothing more is sent.
    @Test func throttleTimeBringsTheRateBackToTheLimit() {
        var rate = QuotaRate(samples: 11, windowMs: 1000)
        // 10,000 bytes within a 10 s window is exactly 1,000 B/s: within a 1,000 B/s quota.
        #expect(rate.recordAndThrottle(10_000, limit: 1_000, nowMs: 0) == 0)
        // 2,000 more: 1,200 B/s observed, (1200 − 1000) / 1000 × 10 s = 2 s.
        #expect(rate.recordAndThrottle(2_000, limit: 1_000, nowMs: 0) == 2_000)
        // Still over the limit while the window is padded to its minimum (nothing is forgotten
        // before samples × window).
        #expect(rate.recordAndThrottle(0, limit: 1_000, nowMs: 2_000) == 2_000)

        // Within the first window the padding is added to the time elapsed (Kafka's formula):
        // two samples of 1 s, 2,000 B by 0.5 s is 2,000 / 1.5 s → (1,333 − 1,000) / 1,000 × 1.5 s
        // = 500 ms. Once samples × window have passed, the first sample is forgotten.
        var short = QuotaRate(samples: 2, windowMs: 1000)
        #expect(short.recordAndThrottle(1_000, limit: 1_000, nowMs: 0) == 0)
        #expect(short.recordAndThrottle(1_000, limit: 1_000, nowMs: 500) == 500)
        #expect(short.recordAndThrottle(0, limit: 1_000, nowMs: 2_000) == 0)
        #expect(short.rate(nowMs: 2_000) == 0)
    }

    /// Samples are opened by records and reused round-robin; taking a record back (a throttled
    /// fetch) restores the previous sum.
    @Test func samplesRotateAndRecordsCanBeTakenBack() {
        var rate = QuotaRate(samples: 2, windowMs: 1000)
        rate.record(1_000, nowMs: 0)
        rate.record(1_000, nowMs: 1_000)   // a second sample
        #expect(rate.rate(nowMs: 1_500) == 2_000 / 1.5)
        rate.record(500, nowMs: 2_100)     // reuses the first slot (started at 0, now forgotten)
        #expect(rate.rate(nowMs: 2_100) == 1_500 / 1.1)
        rate.record(-500, nowMs: 2_100)
        #expect(rate.rate(nowMs: 2_100) == 1_000 / 1.1)
    }

    @Test func aZeroQuotaThrottlesForAWholeWindowSet() {
        var rate = QuotaRate(samples: 3, windowMs: 1000)
        #expect(rate.recordAndThrottle(1, limit: 0, nowMs: 0) == 3_000)
    }

    // MARK: Precedence

    static func image(_ quotas: [(Entity, Double)], key: String = ClientQuotaKey.producerByteRate) -> ClientQuotaImage {
        var image = ClientQuotaImage()
        for (entity, value) in quotas { image.apply(entity, key: key, value: value) }
        return image
    }

    /// Kafka's eight levels, most specific first; each removed in turn reveals the next.
    @Test func precedenceFollowsKafkasEightLevels() {
        let levels: [(Entity, ClientQuotaTags)] = [
            (Entity(user: .named("alice"), clientId: .named("app")), .init(user: "alice", clientId: "app")),
            (Entity(user: .named("alice"), clientId: .defaultName), .init(user: "alice", clientId: "app")),
            (Entity(user: .named("alice")), .init(user: "alice", clientId: "")),
            (Entity(user: .defaultName, clientId: .named("app")), .init(user: "alice", clientId: "app")),
            (Entity(user: .defaultName, clientId: .defaultName), .init(user: "alice", clientId: "app")),
            (Entity(user: .defaultName), .init(user: "alice", clientId: "")),
            (Entity(clientId: .named("app")), .init(user: "", clientId: "app")),
            (Entity(clientId: .defaultName), .init(user: "", clientId: "app")),
        ]
        var image = Self.image(levels.enumerated().map { ($0.element.0, Double($0.offset + 1)) })
        for (index, level) in levels.enumerated() {
            let found = image.quota(for: ClientQuotaKey.producerByteRate, user: "alice", clientId: "app")
            #expect(found?.limit == Double(index + 1), "level \(index + 1): \(level.0)")
            #expect(found?.tags == level.1, "level \(index + 1): \(level.0)")
            image.apply(level.0, key: ClientQuotaKey.producerByteRate, value: nil)
        }
        #expect(image.isEmpty)
        #expect(image.quota(for: ClientQuotaKey.producerByteRate, user: "alice", clientId: "app") == nil)
    }

    /// Precedence is per key: a user's producer quota does not hide a client id's consumer quota.
    @Test func eachKeyResolvesOnItsOwn() {
        var image = Self.image([(Entity(user: .named("alice")), 100)])
        image.apply(Entity(clientId: .named("app")), key: ClientQuotaKey.consumerByteRate, value: 200)
        #expect(image.quota(for: ClientQuotaKey.producerByteRate, user: "alice", clientId: "app")?.limit == 100)
        #expect(image.quota(for: ClientQuotaKey.consumerByteRate, user: "alice", clientId: "app")?.limit == 200)
        #expect(image.quota(for: ClientQuotaKey.producerByteRate, user: "bob", clientId: "app") == nil)
    }

    /// Clients under one client-id quota share one measured rate, whatever their user.
    @Test func clientsOfOneEntityShareTheirRate() {
        let manager = ClientQuotaManager(samples: 11, windowSeconds: 1, clock: { 0 })
        let image = Self.image([(Entity(clientId: .named("app")), 1_000)])
        #expect(manager.recordAndThrottle(.produce, bytes: 6_000, user: "alice", clientId: "app", quotas: image) == 0)
        #expect(manager.recordAndThrottle(.produce, bytes: 6_000, user: "bob", clientId: "app", quotas: image) == 2_000)
        #expect(manager.rate(.produce, tags: .init(user: "", clientId: "app")) == 1_200)
        // Another client id has no quota: never measured, never throttled.
        #expect(manager.recordAndThrottle(.produce, bytes: 1_000_000, user: "alice", clientId: "other", quotas: image) == 0)
        // The fetch side has its own rates, and caps a response at limit × (samples − 1) × window.
        let fetchImage = Self.image([(Entity(clientId: .named("app")), 1_000)], key: ClientQuotaKey.consumerByteRate)
        #expect(manager.maxBytesInWindow(.fetch, user: "alice", clientId: "app", quotas: fetchImage) == 10_000)
        #expect(manager.maxBytesInWindow(.fetch, user: "alice", clientId: "app", quotas: image) == nil)
    }

    /// A rate unused for an hour is dropped (checked at most once a minute per shard).
    @Test func idleRatesAreDroppedAfterAnHour() {
        final class Clock: @unchecked Sendable {
            // @unchecked: the test's only thread sets it between calls.
            var now: Int64 = 0
        }
        let clock = Clock()
        let manager = ClientQuotaManager(samples: 11, windowSeconds: 1, clock: { clock.now })
        let image = Self.image([(Entity(clientId: .defaultName), 1_000)])
        let idle = ClientQuotaTags(user: "", clientId: "idle")
        _ = manager.recordAndThrottle(.produce, bytes: 100, user: "u", clientId: "idle", quotas: image)
        clock.now = 3_000_000
        _ = manager.recordAndThrottle(.produce, bytes: 100, user: "u", clientId: "idle", quotas: image)
        #expect(manager.rate(.produce, tags: idle) != nil)
        // Sixty-one minutes later every shard's next record sweeps it away.
        clock.now += 3_660_000
        for client in (0..<200).map({ "busy-\($0)" }) {
            _ = manager.recordAndThrottle(.produce, bytes: 1, user: "u", clientId: client, quotas: image)
        }
        #expect(manager.rate(.produce, tags: idle) == nil)
        #expect(manager.rate(.produce, tags: ClientQuotaTags(user: "", clientId: "busy-0")) != nil)
    }

    // MARK: Describe filters

    func filter(_ components: [(String, Int8, String?)], strict: Bool = false) throws(ApiError) -> ClientQuotaFilter {
        try ClientQuotaFilter(DescribeClientQuotasRequest(
            components: components.map { .init(entityType: $0.0, matchType: $0.1, match: $0.2) }, strict: strict))
    }

    @Test func filtersSelectAsKafkaDescribes() throws {
        let alice = Entity(user: .named("alice"))
        let aliceApp = Entity(user: .named("alice"), clientId: .named("app"))
        let defaultUser = Entity(user: .defaultName)
        let app = Entity(clientId: .named("app"))
        let image = Self.image([(alice, 1), (aliceApp, 2), (defaultUser, 3), (app, 4)])
        func described(_ f: ClientQuotaFilter) -> [Entity] { image.describe(f).map(\.entity) }
        #expect(Set(described(try filter([]))) == [alice, aliceApp, defaultUser, app])
        #expect(described(try filter([], strict: true)) == [])
        #expect(Set(described(try filter([("user", 0, "alice")]))) == [alice, aliceApp])
        #expect(described(try filter([("user", 0, "alice")], strict: true)) == [alice])
        #expect(described(try filter([("user", 1, nil)])) == [defaultUser])
        #expect(Set(described(try filter([("user", 2, nil)]))) == [alice, aliceApp])
        #expect(described(try filter([("user", 2, nil), ("client-id", 0, "app")])) == [aliceApp])
        #expect(described(try filter([("client-id", 2, nil)], strict: true)) == [app])
    }

    @Test func badFiltersAreRefusedWithKafkasErrors() {
        let cases: [([(String, Int8, String?)], ErrorCode)] = [
            ([("", 0, "x")], .invalidRequest),
            ([("user", 0, "a"), ("user", 1, nil)], .invalidRequest),
            ([("group", 0, "x")], .unsupportedVersion),
            ([("user", 0, nil)], .invalidRequest),
            ([("user", 1, "x")], .invalidRequest),
            ([("user", 2, "x")], .invalidRequest),
            ([("user", 7, nil)], .invalidRequest),
            ([("ip", 2, nil), ("user", 2, nil)], .invalidRequest),
        ]
        for (components, code) in cases {
            #expect(throws: ApiError.self, "\(components)") { try filter(components) }
            do { _ = try filter(components) } catch { #expect(error.code == code, "\(components): \(error)") }
        }
    }

    // MARK: Records

    /// Kafka's ClientQuotaRecord (type 14): Entity [(type, nullable name)], Key, Value (float64),
    /// Remove; round-trips, replays and survives a snapshot.
    @Test func quotaRecordsFollowKafkasLayoutAndReplay() throws {
        let entity = Entity(user: .named("alice"), clientId: .defaultName)
        let set = MetadataRecord.clientQuota(entity: entity, key: ClientQuotaKey.producerByteRate, value: 1_048_576)
        let bytes = MetadataRecordCodec.encode([set])
        #expect(Array(bytes[4..<8]) == [0, 14, 0, 0])
        // Two entity parts (compact array: 3): "user" "alice", "client-id" null (0).
        #expect(bytes[8] == 3 && bytes[9] == 5 && Array(bytes[10..<14]) == Array("user".utf8))
        #expect(bytes[14] == 6 && bytes[20] == 10 && bytes[30] == 0)
        #expect(bytes.suffix(9) == Array(withUnsafeBytes(of: Double(1_048_576).bitPattern.bigEndian, Array.init)) + [0])
        let remove = MetadataRecord.clientQuota(entity: entity, key: ClientQuotaKey.producerByteRate, value: nil)
        #expect(try MetadataRecordCodec.decode(MetadataRecordCodec.encode([set, remove])) == [set, remove])
        #expect(MetadataRecordCodec.encode([remove]).last == 1)

        var image = MetadataImage()
        #expect(image.apply(set) == nil)
        #expect(image.clientQuotas.value(entity, ClientQuotaKey.producerByteRate) == 1_048_576)
        #expect(MetadataImage.fromSnapshot(image.snapshotRecords, offset: 1).clientQuotas == image.clientQuotas)
        #expect(image.apply(remove) == nil)
        #expect(image.clientQuotas.isEmpty)
    }

    // MARK: Controller validation

    func validate(_ entity: [(String, String?)], _ ops: [(String, Double?)]) -> ApiError? {
        if case .failure(let error) = Controller.validate(.init(entity: entity, ops: ops)) { return error }
        return nil
    }

    @Test func alterationsAreValidatedAsKafkasControllerDoes() {
        let rate = ClientQuotaKey.producerByteRate
        #expect(validate([("user", "alice"), ("client-id", nil)], [(rate, 1024), (ClientQuotaKey.consumerByteRate, nil)]) == nil)
        let refused: [([(String, String?)], [(String, Double?)], String)] = [
            ([], [(rate, 1)], "Invalid empty client quota entity"),
            ([("user", "a"), ("user", "b")], [(rate, 1)], "duplicate entity entry user"),
            ([("group", "g")], [(rate, 1)], "Unhandled client quota entity type: group"),
            ([("user", "")], [(rate, 1)], "Empty user not supported"),
            ([("ip", "10.0.0.1")], [("connection_creation_rate", 1)], "not supported by Sluice"),
            ([("user", "a")], [(rate, 1), (rate, 2)], "Duplicate quota key producer_byte_rate"),
            ([("user", "a")], [("retention.ms", 1)], "Invalid configuration key retention.ms"),
            ([("user", "a")], [(rate, 1.5)], "must be a Long value"),
            ([("user", "a")], [(rate, -1)], "non-negative"),
            ([("user", "a")], [(ClientQuotaKey.requestPercentage, 50)], "not supported by Sluice"),
        ]
        for (entity, ops, message) in refused {
            let error = validate(entity, ops)
            #expect(error?.code == .invalidRequest, "\(entity) \(ops)")
            #expect(error?.message?.contains(message) == true, "\(error?.message ?? "accepted"), expected \(message)")
        }
    }
}
