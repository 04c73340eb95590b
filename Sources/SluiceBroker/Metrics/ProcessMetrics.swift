import Foundation
import NIOConcurrencyHelpers
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// The standard Prometheus client process metrics (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`, `process_max_fds`,
/// `process_start_time_seconds`), read from `/proc/self` at each scrape (no timer).
///
/// Reading `/proc` is file I/O: the scrape runs it on the broker's I/O pool, never on the event
/// loop that serves the scrape (see ``Broker/scrapeMetrics(on:)``). On systems without `/proc`
/// the gauges stay at 0.
final class ProcessMetrics: Sendable {
    private let cpuSeconds: Prometheus.Counter
    private let residentMemory: Prometheus.Gauge
    private let openFds: Prometheus.Gauge
    private let maxFds: Prometheus.Gauge
    private let startTime: Prometheus.Gauge
    /// The CPU seconds last added to the counter (the counter only moves by increments).
    private let reportedCpu = NIOLockedValueBox<Double>(0)

    init(registry: PrometheusCollectorRegistry) {
        func help(_ name: String) -> String { MetricCatalog.helpByName[name] ?? "" }
        cpuSeconds = registry.makeCounter(name: MetricCatalog.processCpuSeconds, labels: [], help: help(MetricCatalog.processCpuSeconds))
        func gauge(_ name: String) -> Prometheus.Gauge { registry.makeGauge(name: name, labels: [], help: help(name)) }
        residentMemory = gauge(MetricCatalog.processResidentMemory)
        openFds = gauge(MetricCatalog.processOpenFds)
        maxFds = gauge(MetricCatalog.processMaxFds)
        startTime = gauge(MetricCatalog.processStartTime)
    }

    /// Reads `/proc/self` and updates the metrics. Blocking (file reads): call it off the event loops.
    func refresh() {
        guard let sample = ProcessSample.read() else { return }
        reportedCpu.withLockedValue { reported in
            if sample.cpuSeconds > reported {
                cpuSeconds.increment(by: sample.cpuSeconds - reported)
                reported = sample.cpuSeconds
            }
        }
        residentMemory.set(sample.residentBytes)
        openFds.set(sample.openFds)
        if let max = sample.maxFds { maxFds.set(max) }
        if let start = sample.startTimeSeconds { startTime.set(start) }
    }
}

/// One reading of `/proc/self` (Linux's proc(5) layout).
struct ProcessSample {
    var cpuSeconds: Double
    var residentBytes: Double
    var openFds: Double
    var maxFds: Double?
    var startTimeSeconds: Double?

    static func read() -> ProcessSample? {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces), from field 3 (state) on.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard let utime = field(14), let stime = field(15), let rssPages = field(24), ticks > 0 else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var sample = ProcessSample(cpuSeconds: (utime + stime) / ticks, residentBytes: rssPages * pageSize,
                                   openFds: Double(fds), maxFds: nil, startTimeSeconds: nil)
        if let limits = try? String(contentsOfFile: "/proc/self/limits", encoding: .utf8),
           let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) {
            let soft = line.dropFirst("Max open files".count).split(separator: " ").first
            sample.maxFds = soft.flatMap { Double($0) }
        }
        // Start time: ticks since boot (field 22) plus the boot time (`btime` of /proc/stat).
        if let startTicks = field(22), let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let btime = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
           let boot = Double(btime.dropFirst("btime ".count)) {
            sample.startTimeSeconds = boot + startTicks / ticks
        }
        return sample
        #else
        return nil
        #endif
    }
}
