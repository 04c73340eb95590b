/// Every metric a broker exports on `GET /metrics`, under the names the Prometheus JMX exporter's
/// usual Kafka rules give Kafka's MBeans (`kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec`
/// → `kafka_server_brokertopicmetrics_messagesin_total`), so that Kafka dashboards find them.
///
/// The catalog is the single source of the names, their HELP text and their kind: the metrics
/// factory reads the HELP text from it, the README lists it, and a test checks that every name
/// here appears in a scrape.
public enum MetricCatalog {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    public struct Entry: Sendable {
        public let name: String
        public let kind: Kind
        public let help: String
        /// The label names (bounded sets: topics, API names, group states).
        public let labels: [String]
        /// Exported only once something happened (a client throttled), not from the start.
        public var onDemand = false
    }

    // Per topic (and `topic=""` for the broker's total: Prometheus drops empty labels on ingestion,
    // so that series is the same as the JMX exporter's label-less all-topics series).
    public static let messagesIn = "kafka_server_brokertopicmetrics_messagesin_total"
    public static let bytesIn = "kafka_server_brokertopicmetrics_bytesin_total"
    public static let bytesOut = "kafka_server_brokertopicmetrics_bytesout_total"
    public static let totalProduceRequests = "kafka_server_brokertopicmetrics_totalproducerequests_total"
    public static let totalFetchRequests = "kafka_server_brokertopicmetrics_totalfetchrequests_total"
    public static let failedProduceRequests = "kafka_server_brokertopicmetrics_failedproducerequests_total"
    public static let failedFetchRequests = "kafka_server_brokertopicmetrics_failedfetchrequests_total"
    // Per API (`request="Produce"`, Kafka's request names).
    public static let requests = "kafka_network_requestmetrics_requests_total"
    public static let errors = "kafka_network_requestmetrics_errors_total"
    public static let totalTimeMs = "kafka_network_requestmetrics_totaltimems"
    public static let responseQueueTimeMs = "kafka_network_requestmetrics_responsequeuetimems"
    // Replica manager.
    public static let underReplicated = "kafka_server_replicamanager_underreplicatedpartitions"
    public static let underMinIsr = "kafka_server_replicamanager_underminisrpartitioncount"
    public static let leaderCount = "kafka_server_replicamanager_leadercount"
    public static let partitionCount = "kafka_server_replicamanager_partitioncount"
    public static let isrShrinks = "kafka_server_replicamanager_isrshrinks_total"
    public static let isrExpands = "kafka_server_replicamanager_isrexpands_total"
    // Controller and metadata.
    public static let activeController = "kafka_controller_kafkacontroller_activecontrollercount"
    public static let offlinePartitions = "kafka_controller_kafkacontroller_offlinepartitionscount"
    public static let globalPartitionCount = "kafka_controller_kafkacontroller_globalpartitioncount"
    public static let fencedBrokers = "kafka_controller_kafkacontroller_fencedbrokercount"
    public static let activeBrokers = "kafka_controller_kafkacontroller_activebrokercount"
    public static let metadataAppliedOffset = "kafka_server_broker_metadata_metrics_last_applied_record_offset"
    public static let raftHighWatermark = "kafka_server_raft_metrics_high_watermark"
    public static let metadataLag = "sluice_metadata_applied_offset_lag"
    // Group coordinator.
    public static let numGroups = "kafka_coordinator_group_groupmetadatamanager_numgroups"
    public static let numGroupsByState = "kafka_coordinator_group_groupmetadatamanager_numgroupsbystate"
    // Connections and readiness.
    public static let connections = "kafka_server_socket_server_metrics_connection_count"
    public static let ready = "sluice_broker_ready"

    // Client quotas (Kafka reports throttle time per user and client id; these are totals).
    public static let quotaThrottled = "sluice_quota_throttled_requests_total"
    public static let quotaThrottleTimeMs = "sluice_quota_throttle_time_ms_total"
    /// Per quota entity (user / client id, as the quota measures them): appears once one is
    /// throttled, like Kafka's per-client quota metrics.
    public static let quotaClientThrottleTimeMs = "sluice_quota_client_throttle_time_ms_total"

    /// Per partition held here (`topic`, `partition`): appears with the partition's log.
    public static let logSize = "kafka_log_log_size"

    // The process (the Prometheus client libraries' standard names, read from /proc/self at scrape).
    public static let processCpuSeconds = "process_cpu_seconds_total"
    public static let processResidentMemory = "process_resident_memory_bytes"
    public static let processOpenFds = "process_open_fds"
    public static let processMaxFds = "process_max_fds"
    public static let processStartTime = "process_start_time_seconds"

    public static let entries: [Entry] = [
        Entry(name: messagesIn, kind: .counter, help: "Records appended by produce requests (counted per batch).", labels: ["topic"]),
        Entry(name: bytesIn, kind: .counter, help: "Record-batch bytes appended by produce requests.", labels: ["topic"]),
        Entry(name: bytesOut, kind: .counter, help: "Record bytes returned to consumer fetches (not follower replication).", labels: ["topic"]),
        Entry(name: totalProduceRequests, kind: .counter, help: "Produce requests per topic-partition served as leader or refused.", labels: ["topic"]),
        Entry(name: totalFetchRequests, kind: .counter, help: "Consumer fetches per topic-partition.", labels: ["topic"]),
        Entry(name: failedProduceRequests, kind: .counter, help: "Produce topic-partitions answered with an error.", labels: ["topic"]),
        Entry(name: failedFetchRequests, kind: .counter, help: "Consumer fetch topic-partitions answered with an error.", labels: ["topic"]),
        Entry(name: requests, kind: .counter, help: "Requests answered, by API.", labels: ["request"]),
        Entry(name: errors, kind: .counter, help: "Requests that closed their connection (undecodable, failed), by API.", labels: ["request"]),
        Entry(name: totalTimeMs, kind: .histogram, help: "Time from a request's arrival to its response being written, in ms, by API.", labels: ["request"]),
        Entry(name: responseQueueTimeMs, kind: .histogram, help: "Time a finished response waited behind earlier responses of its connection, in ms, by API.", labels: ["request"]),
        Entry(name: underReplicated, kind: .gauge, help: "Partitions led here whose ISR is smaller than their replica set.", labels: []),
        Entry(name: underMinIsr, kind: .gauge, help: "Partitions led here whose ISR is smaller than min.insync.replicas.", labels: []),
        Entry(name: leaderCount, kind: .gauge, help: "Partitions this broker leads.", labels: []),
        Entry(name: partitionCount, kind: .gauge, help: "Partitions this broker holds a replica of.", labels: []),
        Entry(name: isrShrinks, kind: .counter, help: "ISR shrinks of partitions led here.", labels: []),
        Entry(name: isrExpands, kind: .counter, help: "ISR expansions of partitions led here.", labels: []),
        Entry(name: activeController, kind: .gauge, help: "1 on the active controller, 0 elsewhere.", labels: []),
        Entry(name: offlinePartitions, kind: .gauge, help: "Partitions without a leader (reported by the active controller, 0 elsewhere).", labels: []),
        Entry(name: globalPartitionCount, kind: .gauge, help: "Partitions in the cluster (active controller only, 0 elsewhere).", labels: []),
        Entry(name: fencedBrokers, kind: .gauge, help: "Registered brokers that are fenced (active controller only).", labels: []),
        Entry(name: activeBrokers, kind: .gauge, help: "Registered brokers that are unfenced (active controller only).", labels: []),
        Entry(name: metadataAppliedOffset, kind: .gauge, help: "Offset of the last metadata record applied to this broker's image.", labels: []),
        Entry(name: raftHighWatermark, kind: .gauge, help: "The metadata log's high watermark as this node's Raft knows it.", labels: []),
        Entry(name: metadataLag, kind: .gauge, help: "Metadata records committed but not yet applied here (high watermark - applied offset).", labels: []),
        Entry(name: numGroups, kind: .gauge, help: "Consumer groups coordinated by this broker.", labels: []),
        Entry(name: numGroupsByState, kind: .gauge, help: "Consumer groups coordinated here, by state (Stable, Empty, PreparingRebalance, CompletingRebalance, Dead).", labels: ["state"]),
        Entry(name: connections, kind: .gauge, help: "Open client connections.", labels: ["listener"]),
        Entry(name: ready, kind: .gauge, help: "1 when /health/ready answers 200.", labels: []),
        Entry(name: quotaThrottled, kind: .counter, help: "Requests throttled by a client quota, by quota type (produce, fetch).", labels: ["quota"]),
        Entry(name: quotaThrottleTimeMs, kind: .counter, help: "Throttle time given to clients over a quota, in ms, by quota type.", labels: ["quota"]),
        Entry(name: quotaClientThrottleTimeMs, kind: .counter,
              help: "Throttle time given to one quota entity's clients, in ms (user and client_id as the quota measures them: \"\" where it does not distinguish).",
              labels: ["quota", "user", "client_id"], onDemand: true),
        Entry(name: logSize, kind: .gauge, help: "Bytes of a partition log held by this broker (all its segments), by topic and partition.",
              labels: ["topic", "partition"], onDemand: true),
        Entry(name: processCpuSeconds, kind: .counter, help: "Total user and system CPU time spent by the broker process, in seconds.", labels: []),
        Entry(name: processResidentMemory, kind: .gauge, help: "Resident memory size of the broker process, in bytes.", labels: []),
        Entry(name: processOpenFds, kind: .gauge, help: "Open file descriptors of the broker process (sockets, segment files).", labels: []),
        Entry(name: processMaxFds, kind: .gauge, help: "The process's soft limit on open file descriptors.", labels: []),
        Entry(name: processStartTime, kind: .gauge, help: "Start time of the broker process since the Unix epoch, in seconds.", labels: []),
    ]

    static let helpByName: [String: String] = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.help) })

    /// Bucket bounds of the millisecond histograms.
    static let millisecondBuckets: [Double] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]
}
