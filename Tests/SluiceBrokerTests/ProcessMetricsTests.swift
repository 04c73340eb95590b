import Foundation
import KafkaProtocol
import Testing
@testable import SluiceBroker
#if canImport(Glibc)
import Glibc
#endif

/// The process metrics of a scrape (`process_*`, read from /proc/self at scrape time): what the
/// broker's process did between two scrapes shows in the second one.
@Suite(.onTestThreads) struct ProcessMetricsTests {
    #if os(Linux)
    @Test func scrapeReportsTheProcessCpuFdsMemoryAndStart() async throws {
        let (fixture, port) = try await MetricsEndpointTests.startWithMetrics()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let before = try scrape(port)
            let cpuBefore = try #require(before["process_cpu_seconds_total"])

            // CPU this thread spends counts in the process's CPU time (at least; other threads add).
            let burned = Self.burnCpu(seconds: 0.3)
            // 40 client connections held open: 40 sockets here and 40 accepted by the broker.
            var connections: [RawKafkaConnection] = []
            for _ in 0..<40 { connections.append(try await fixture.connect()) }
            // Wait until the broker has accepted them all (polling its connection gauge).
            var after = try scrape(port)
            for _ in 0..<100 where (after[#"kafka_server_socket_server_metrics_connection_count{listener="PLAINTEXT"}"#] ?? 0) < 40 {
                try await Task.sleep(for: .milliseconds(50))
                after = try scrape(port)
            }

            let cpuAfter = try #require(after["process_cpu_seconds_total"])
            // /proc counts in clock ticks (1/100 s): allow one tick of rounding on each reading.
            #expect(cpuAfter - cpuBefore >= burned - 0.02, "cpu \(cpuBefore) -> \(cpuAfter), burned \(burned)")
            #expect((after["process_open_fds"] ?? 0) >= 80)
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            #expect(after["process_max_fds"] == Double(limit.rlim_cur))
            let rss = try #require(after["process_resident_memory_bytes"])
            #expect(rss > Double(1 << 20))
            let start = try #require(after["process_start_time_seconds"])
            let now = Date().timeIntervalSince1970
            #expect(start > now - 24 * 3600 && start <= now + 1, "start \(start), now \(now)")
            #expect(after.helped.contains("process_cpu_seconds_total"))
            withExtendedLifetime(connections) {}
        }
    }

    /// Spins for `seconds` of this thread's CPU time; returns the CPU time spent.
    static func burnCpu(seconds: Double) -> Double {
        func threadCpu() -> Double {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
        let start = threadCpu()
        var x: UInt64 = 1
        while threadCpu() - start < seconds {
            for i in 0..<10_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
        }
        if x == 42 { print("") }  // keeps the loop from being optimised away
        return threadCpu() - start
    }
    #endif

    func scrape(_ port: Int) throws -> PrometheusSamples {
        let response = try HTTPTestClient.get(port: port, "/metrics")
        #expect(response.status == 200)
        return PrometheusSamples(response.body)
    }
}
