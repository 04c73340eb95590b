import NIOConcurrencyHelpers
import Prometheus
import SluiceBase
import SluiceStorage

/// `kafka_log_log_size{topic,partition}`: the bytes of each partition log this broker holds, read
/// at each scrape (on the I/O pool: a log's size sits behind that log's lock, which an append may
/// hold). One series per partition held here — bounded by the partitions — and a deleted or moved
/// partition's series is removed at the next scrape.
final class LogSizeMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let gauges = NIOLockedValueBox<[TopicPartition: Prometheus.Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func refresh(from logs: [TopicPartition: any PartitionLog]) {
        let registry = self.registry
        gauges.withLockedValue { table in
            for (tp, log) in logs {
                let gauge: Prometheus.Gauge
                if let known = table[tp] {
                    gauge = known
                } else {
                    gauge = registry.makeGauge(name: MetricCatalog.logSize, labels: [("topic", tp.topic), ("partition", String(tp.partition))],
                                               help: MetricCatalog.helpByName[MetricCatalog.logSize] ?? "")
                    table[tp] = gauge
                }
                gauge.set(Double(log.sizeInBytes))
            }
            for (tp, gauge) in table where logs[tp] == nil {
                registry.unregisterGauge(gauge)
                table[tp] = nil
            }
        }
    }
}
