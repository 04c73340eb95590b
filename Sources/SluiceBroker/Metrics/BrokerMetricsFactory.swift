import CoreMetrics
import Prometheus

/// A swift-metrics factory over one broker's own Prometheus registry.
///
/// swift-metrics' `MetricsSystem.bootstrap` is process-global, and tests run several brokers in
/// one process: each broker therefore has its own registry and passes this factory explicitly
/// (`Counter(label:dimensions:factory:)`), so brokers never see each other's figures. Names come
/// from ``MetricCatalog``, which also gives the `# HELP` text; recorders are histograms with
/// millisecond buckets when aggregated, gauges otherwise.
struct BrokerMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private func help(_ label: String) -> String { MetricCatalog.helpByName[label] ?? "" }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        if !aggregate { return registry.makeGauge(name: label, labels: dimensions, help: help(label)) }
        return registry.makeValueHistogram(name: label, labels: dimensions, buckets: MetricCatalog.millisecondBuckets,
                                           help: help(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(name: label, labels: dimensions,
                                       buckets: MetricCatalog.millisecondBuckets.map { .microseconds(Int64($0 * 1000)) },
                                       help: help(label))
    }

    // The registry keeps every metric for the broker's lifetime: label sets are bounded (topics,
    // APIs, group states), so nothing is destroyed.
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
