import CoreMetrics
import KafkaProtocol
import NIOConcurrencyHelpers
import Prometheus

/// One broker's metrics: its own Prometheus registry (see ``BrokerMetricsFactory``), the
/// counters the request paths bump, and the gauges refreshed from the broker's state at each
/// scrape (``BrokerMetrics/refresh(from:)``).
///
/// Hot-path cost: the request path bumps a handful of atomic counters per request and per topic
/// of a request — never per record — and looks a topic's counters up in one of 16 shards (a short
/// lock on a dictionary); an API's metrics through a lock of that API's own (held for a load).
public final class BrokerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: BrokerMetricsFactory
    private let shards: [NIOLockedValueBox<[String: TopicMetrics]>]
    /// The broker's totals (`topic=""`).
    let allTopics: TopicMetrics
    /// One slot per API key, each behind its own lock (requests of different APIs never meet).
    private let apis: [NIOLockedValueBox<RequestMetrics?>]
    let isrShrinks: CoreMetrics.Counter
    let isrExpands: CoreMetrics.Counter
    let gauges: StateGauges
    /// CPU, memory, file descriptors of the process, read at each scrape.
    let process: ProcessMetrics
    /// Partition log sizes, read at each scrape.
    let logSizes: LogSizeMetrics
    /// Quota throttling by quota type: how many requests, how many ms.
    private let quotaThrottles: [ClientQuotaManager.QuotaType: (count: CoreMetrics.Counter, timeMs: CoreMetrics.Counter)]
    /// Throttle time per quota type and entity, created when an entity is first throttled
    /// (bounded by the clients that fall under quotas).
    private let clientThrottles: [NIOLockedValueBox<[ClientThrottleKey: CoreMetrics.Counter]>]

    struct ClientThrottleKey: Hashable {
        var type: ClientQuotaManager.QuotaType
        var tags: ClientQuotaTags
    }

    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = BrokerMetricsFactory(registry: registry)
        self.registry = registry
        self.factory = factory
        self.shards = (0..<16).map { _ in NIOLockedValueBox([:]) }
        self.allTopics = TopicMetrics(topic: "", factory: factory)
        let highest = Int(ApiKey.allCases.map(\.rawValue).max() ?? 0)
        self.apis = (0...highest).map { _ in NIOLockedValueBox(nil) }
        self.isrShrinks = CoreMetrics.Counter(label: MetricCatalog.isrShrinks, factory: factory)
        self.isrExpands = CoreMetrics.Counter(label: MetricCatalog.isrExpands, factory: factory)
        self.gauges = StateGauges(factory: factory)
        self.process = ProcessMetrics(registry: registry)
        self.logSizes = LogSizeMetrics(registry: registry)
        self.clientThrottles = (0..<16).map { _ in NIOLockedValueBox([:]) }
        self.quotaThrottles = Dictionary(uniqueKeysWithValues: [ClientQuotaManager.QuotaType.produce, .fetch].map { type in
            let labels = [("quota", type == .produce ? "produce" : "fetch")]
            return (type, (CoreMetrics.Counter(label: MetricCatalog.quotaThrottled, dimensions: labels, factory: factory),
                           CoreMetrics.Counter(label: MetricCatalog.quotaThrottleTimeMs, dimensions: labels, factory: factory)))
        })
        // The APIs every dashboard charts exist from the start, at 0.
        _ = requestMetrics(.produce)
        _ = requestMetrics(.fetch)
    }

    /// The counters of `topic`, created on first use.
    func topic(_ topic: String) -> TopicMetrics {
        var hasher = Hasher()
        hasher.combine(topic)
        let shard = shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
        return shard.withLockedValue { table in
            if let metrics = table[topic] { return metrics }
            let metrics = TopicMetrics(topic: topic, factory: factory)
            table[topic] = metrics
            return metrics
        }
    }

    /// The metrics of one API, created on first use.
    func requestMetrics(_ key: ApiKey) -> RequestMetrics {
        apis[Int(key.rawValue)].withLockedValue { slot in
            if let metrics = slot { return metrics }
            let metrics = RequestMetrics(name: key.name, factory: factory)
            slot = metrics
            return metrics
        }
    }

    // MARK: Request paths (per request or per topic of a request, never per record)

    /// Records appended to `topic` by one produce request: `partitions` partitions, `records`
    /// records, `bytes` bytes of batches, `failed` partitions refused.
    func produced(topic name: String, partitions: Int, failed: Int, records: Int, bytes: Int) {
        let metrics = topic(name)
        for counters in [metrics, allTopics] {
            counters.totalProduceRequests.increment(by: partitions)
            if failed > 0 { counters.failedProduceRequests.increment(by: failed) }
            if records > 0 { counters.messagesIn.increment(by: records) }
            if bytes > 0 { counters.bytesIn.increment(by: bytes) }
        }
    }

    /// What one consumer fetch returned from `topic`.
    func fetched(topic name: String, partitions: Int, failed: Int, bytes: Int) {
        let metrics = topic(name)
        for counters in [metrics, allTopics] {
            counters.totalFetchRequests.increment(by: partitions)
            if failed > 0 { counters.failedFetchRequests.increment(by: failed) }
            if bytes > 0 { counters.bytesOut.increment(by: bytes) }
        }
    }

    /// A request throttled by a client quota for `ms`.
    func throttled(_ type: ClientQuotaManager.QuotaType, tags: ClientQuotaTags, ms: Int64) {
        guard let counters = quotaThrottles[type] else { return }
        counters.count.increment()
        counters.timeMs.increment(by: Int(ms))
        let key = ClientThrottleKey(type: type, tags: tags)
        var hasher = Hasher()
        hasher.combine(key)
        let counter = clientThrottles[Int(UInt(bitPattern: hasher.finalize()) % UInt(clientThrottles.count))].withLockedValue { table in
            if let counter = table[key] { return counter }
            let counter = CoreMetrics.Counter(label: MetricCatalog.quotaClientThrottleTimeMs, dimensions: [
                ("quota", type == .produce ? "produce" : "fetch"), ("user", tags.user), ("client_id", tags.clientId)], factory: factory)
            table[key] = counter
            return counter
        }
        counter.increment(by: Int(ms))
    }

    // MARK: Exposition

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    func emitText() -> [UInt8] { registry.emitToBuffer() }
}

/// The per-topic counters (`topic=""`: the broker's totals).
struct TopicMetrics: Sendable {
    let messagesIn: CoreMetrics.Counter
    let bytesIn: CoreMetrics.Counter
    let bytesOut: CoreMetrics.Counter
    let totalProduceRequests: CoreMetrics.Counter
    let totalFetchRequests: CoreMetrics.Counter
    let failedProduceRequests: CoreMetrics.Counter
    let failedFetchRequests: CoreMetrics.Counter

    init(topic: String, factory: any MetricsFactory) {
        func counter(_ name: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: name, dimensions: [("topic", topic)], factory: factory)
        }
        messagesIn = counter(MetricCatalog.messagesIn)
        bytesIn = counter(MetricCatalog.bytesIn)
        bytesOut = counter(MetricCatalog.bytesOut)
        totalProduceRequests = counter(MetricCatalog.totalProduceRequests)
        totalFetchRequests = counter(MetricCatalog.totalFetchRequests)
        failedProduceRequests = counter(MetricCatalog.failedProduceRequests)
        failedFetchRequests = counter(MetricCatalog.failedFetchRequests)
    }
}

/// One API's request metrics (`request="Produce"`, ...).
final class RequestMetrics: Sendable {
    let requests: CoreMetrics.Counter
    let errors: CoreMetrics.Counter
    let totalTimeMs: Recorder
    let responseQueueTimeMs: Recorder

    init(name: String, factory: any MetricsFactory) {
        let labels = [("request", name)]
        requests = CoreMetrics.Counter(label: MetricCatalog.requests, dimensions: labels, factory: factory)
        errors = CoreMetrics.Counter(label: MetricCatalog.errors, dimensions: labels, factory: factory)
        totalTimeMs = Recorder(label: MetricCatalog.totalTimeMs, dimensions: labels, aggregate: true, factory: factory)
        responseQueueTimeMs = Recorder(label: MetricCatalog.responseQueueTimeMs, dimensions: labels, aggregate: true, factory: factory)
    }
}

/// The gauges read off the broker's state at each scrape.
struct StateGauges: Sendable {
    let underReplicated: CoreMetrics.Gauge
    let underMinIsr: CoreMetrics.Gauge
    let leaderCount: CoreMetrics.Gauge
    let partitionCount: CoreMetrics.Gauge
    let activeController: CoreMetrics.Gauge
    let offlinePartitions: CoreMetrics.Gauge
    let globalPartitionCount: CoreMetrics.Gauge
    let fencedBrokers: CoreMetrics.Gauge
    let activeBrokers: CoreMetrics.Gauge
    let metadataAppliedOffset: CoreMetrics.Gauge
    let raftHighWatermark: CoreMetrics.Gauge
    let metadataLag: CoreMetrics.Gauge
    let numGroups: CoreMetrics.Gauge
    let groupsByState: [String: CoreMetrics.Gauge]
    let ready: CoreMetrics.Gauge
    let connections: CoreMetrics.Gauge

    static let groupStates = ["Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead"]

    init(factory: any MetricsFactory) {
        func gauge(_ name: String) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: name, factory: factory) }
        underReplicated = gauge(MetricCatalog.underReplicated)
        underMinIsr = gauge(MetricCatalog.underMinIsr)
        leaderCount = gauge(MetricCatalog.leaderCount)
        partitionCount = gauge(MetricCatalog.partitionCount)
        activeController = gauge(MetricCatalog.activeController)
        offlinePartitions = gauge(MetricCatalog.offlinePartitions)
        globalPartitionCount = gauge(MetricCatalog.globalPartitionCount)
        fencedBrokers = gauge(MetricCatalog.fencedBrokers)
        activeBrokers = gauge(MetricCatalog.activeBrokers)
        metadataAppliedOffset = gauge(MetricCatalog.metadataAppliedOffset)
        raftHighWatermark = gauge(MetricCatalog.raftHighWatermark)
        metadataLag = gauge(MetricCatalog.metadataLag)
        numGroups = gauge(MetricCatalog.numGroups)
        groupsByState = Dictionary(uniqueKeysWithValues: Self.groupStates.map {
            ($0, CoreMetrics.Gauge(label: MetricCatalog.numGroupsByState, dimensions: [("state", $0)], factory: factory))
        })
        ready = gauge(MetricCatalog.ready)
        connections = CoreMetrics.Gauge(label: MetricCatalog.connections, dimensions: [("listener", "PLAINTEXT")], factory: factory)
    }
}
