import Testing
@testable import SluiceConsole

/// The brokers' request-time histograms as the console reads them from `/metrics`.
@Suite struct ServerLatencyTests {
    static let exposition = """
        # HELP kafka_network_requestmetrics_totaltimems Time ...
        # TYPE kafka_network_requestmetrics_totaltimems histogram
        kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="1.0"} 50
        kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="10.0"} 90
        kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="100.0"} 100
        kafka_network_requestmetrics_totaltimems_bucket{request="Produce",le="+Inf"} 100
        kafka_network_requestmetrics_totaltimems_sum{request="Produce"} 321.5
        kafka_network_requestmetrics_totaltimems_count{request="Produce"} 100
        kafka_network_requestmetrics_totaltimems_bucket{request="Fetch",le="1.0"} 0
        kafka_network_requestmetrics_totaltimems_bucket{request="Fetch",le="+Inf"} 4
        kafka_network_requestmetrics_totaltimems_bucket{request="Metadata",le="+Inf"} 9
        """

    @Test func readsProduceAndFetchBuckets() {
        let parsed = ServerLatencyHistograms.parse(Substring(Self.exposition))
        #expect(parsed.produce?.buckets.map(\.upperBound) == [1, 10, 100, .infinity])
        #expect(parsed.produce?.buckets.map(\.count) == [50, 90, 100, 100])
        #expect(parsed.fetch?.buckets.map(\.count) == [0, 4])
    }

    @Test func quantilesInterpolateInsideTheBucketAsPrometheusDoes() throws {
        let produce = try #require(ServerLatencyHistograms.parse(Substring(Self.exposition)).produce)
        // Rank 99 of 100 lies in (10, 100], 9 of its 10 observations in: 10 + 90 × 9/10.
        #expect(produce.quantile(0.99, since: nil) == 91)
        #expect(produce.quantile(0.5, since: nil) == 1)
        // Everything in +Inf: the highest finite bound.
        let fetch = try #require(ServerLatencyHistograms.parse(Substring(Self.exposition)).fetch)
        #expect(fetch.quantile(0.99, since: nil) == 1)
        // Only what was observed since the previous scrape counts; nothing new: nil.
        let earlier = CumulativeHistogram(buckets: [.init(upperBound: 1, count: 50), .init(upperBound: 10, count: 50),
                                                    .init(upperBound: 100, count: 50), .init(upperBound: .infinity, count: 50)])
        // Since `earlier`: 0, 40, 50, 50 — rank 25 lies in (1, 10]: 1 + 9 × 25/40.
        #expect(produce.quantile(0.5, since: earlier) == 6.625)
        #expect(produce.quantile(0.99, since: produce) == nil)
    }
}

/// Client quotas in the console: the throttle time a Sluice broker gave each quota entity, read
/// from its `/metrics`, turned into ms per second between polls, shown in the Brokers view.
@Suite struct ThrottledClientsTests {
    static let exposition = """
        # TYPE sluice_quota_client_throttle_time_ms_total counter
        sluice_quota_client_throttle_time_ms_total{quota="produce",user="",client_id="loader"} 4000
        sluice_quota_client_throttle_time_ms_total{client_id="",quota="fetch",user="alice"} 250
        sluice_quota_throttle_time_ms_total{quota="produce"} 4250
        """

    @Test func throttleTimesAreReadPerQuotaEntity() {
        let parsed = ServerLatencyHistograms.parse(Substring(Self.exposition))
        #expect(parsed.clientThrottleMs == [
            ClientThrottleKey(quota: "produce", user: "", clientId: "loader"): 4000,
            ClientThrottleKey(quota: "fetch", user: "alice", clientId: ""): 250,
        ])
        #expect(ClientThrottleKey(quota: "produce", user: "", clientId: "loader").entity == "loader")
        #expect(ClientThrottleKey(quota: "fetch", user: "alice", clientId: "").entity == "user alice")
        #expect(ClientThrottleKey(quota: "fetch", user: "alice", clientId: "app").entity == "alice/app")
    }

    @Test func throttledClientsAreRatesBetweenPolls() {
        let loader = ClientThrottleKey(quota: "produce", user: "", clientId: "loader")
        let alice = ClientThrottleKey(quota: "fetch", user: "alice", clientId: "")
        let idle = ClientThrottleKey(quota: "produce", user: "", clientId: "idle")
        let clients = SnapshotBuilder.throttled([loader: 4000, alice: 250, idle: 10], before: [loader: 2400, alice: 50, idle: 10], dt: 2)
        #expect(clients == [ThrottledClient(key: loader, msPerSecond: 800), ThrottledClient(key: alice, msPerSecond: 100)])
        // The first poll has nothing to compare with; a restarted broker counts from zero.
        #expect(SnapshotBuilder.throttled([loader: 4000], before: nil, dt: 2).isEmpty)
        #expect(SnapshotBuilder.throttled([loader: 300], before: [loader: 4000], dt: 2) == [ThrottledClient(key: loader, msPerSecond: 150)])
    }

    @Test func theBrokersViewShowsTheMostThrottledClient() throws {
        var state = Fixtures.state()
        let plain = BrokersView.table(state)
        #expect(!plain.columns.contains { $0.title == "Throttled" }, "no column while nobody is throttled")
        var snapshot = try #require(state.snapshot)
        let id = try #require(snapshot.brokers.first?.id)
        snapshot.brokers[0].throttledClients = [
            ThrottledClient(key: ClientThrottleKey(quota: "produce", user: "", clientId: "loader"), msPerSecond: 870.4),
            ThrottledClient(key: ClientThrottleKey(quota: "fetch", user: "alice", clientId: ""), msPerSecond: 12),
        ]
        state.snapshot = snapshot
        let table = BrokersView.table(state)
        let column = try #require(table.columns.firstIndex { $0.title == "Throttled" })
        let row = try #require(table.rows.first { $0.id == "\(id)" })
        let text = row.cells[column].map(\.text).joined()
        try #require(state.brokerState(id) == .up)
        #expect(text == "loader 870ms/s +1")
        #expect(table.rows.filter { $0.id != "\(id)" }.allSatisfy { $0.cells[column].map(\.text).joined() == "-" })
    }
}
