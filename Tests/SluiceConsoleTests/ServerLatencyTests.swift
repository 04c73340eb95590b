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
