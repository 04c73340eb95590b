import Logging
import NIOConcurrencyHelpers
import SluiceStorage

/// The live cluster metadata of this node and every change to it.
///
/// Reads (``snapshot``) are lock-protected copies and cheap. Changes (topic creation and
/// deletion, partitions, configs, producer-id blocks) are serialised by `changeLock`, create or
/// delete the partition logs, and persist the new ``ClusterMetadata`` through the store before
/// they are visible. They block on disk I/O: call them from the I/O thread pool, never from an
/// event loop.
public final class MetadataManager: Sendable {
    let nodeId: Int32
    let config: BrokerConfig
    let store: any MetadataStore
    let logs: any LogDirectory
    let logger: Logger
    /// Held for the whole of each change, so changes apply one at a time, in order.
    let changeLock = NIOLock()
    private let state: NIOLockedValueBox<ClusterMetadata>
    /// The next producer id to hand out (protected by `changeLock`'s callers via the box).
    private let nextProducerId: NIOLockedValueBox<Int64>
    static let producerIdBlockSize: Int64 = 1000

    /// Loads the saved metadata (or starts a new cluster), then makes the logs match it: a log
    /// for every partition, and no log of a topic that is not in the metadata (a deletion or a
    /// creation interrupted by a crash).
    public init(config: BrokerConfig, store: any MetadataStore, logs: any LogDirectory, logger: Logger) throws {
        self.nodeId = config.nodeId
        self.config = config
        self.store = store
        self.logs = logs
        self.logger = logger
        let metadata: ClusterMetadata
        if let saved = try store.load() {
            metadata = saved
        } else {
            metadata = ClusterMetadata.new()
            try store.save(metadata)
            logger.info("new cluster \(metadata.clusterId)")
        }
        self.state = NIOLockedValueBox(metadata)
        self.nextProducerId = NIOLockedValueBox(metadata.producerIdBlockEnd)
        try reconcileLogs(with: metadata)
    }

    /// The current metadata.
    public var snapshot: ClusterMetadata { state.withLockedValue { $0 } }

    public func topic(_ name: String) -> TopicMetadata? { state.withLockedValue { $0.topics[name] } }

    /// The effective log config of a topic: its overrides on top of the broker's defaults.
    ///
    /// Overrides were validated when they were set; one that no longer passes (a key or value
    /// this version refuses) is skipped with a warning rather than dropping all the others.
    public func logConfig(for topic: TopicMetadata) -> LogConfig {
        var effective = config.logDefaults
        for (key, value) in topic.configs.sorted(by: { $0.key < $1.key }) {
            do {
                try effective.set(key, to: value)
            } catch {
                logger.warning("topic \(topic.name): ignoring config \(key)=\(value): \(error)")
            }
        }
        return effective
    }

    /// Gives every log of `topic` the topic's effective config (its overrides on the broker's
    /// defaults). Logs load with the defaults; this is what makes `retention.ms`,
    /// `cleanup.policy`, `segment.bytes`, ... of a topic apply at start-up and after a change.
    func applyConfig(of topic: TopicMetadata) {
        let effective = logConfig(for: topic)
        for index in topic.partitions.indices {
            guard let log = logs.log(for: TopicPartition(topic.name, Int32(index))) else { continue }
            if log.config != effective { log.updateConfig(effective) }
        }
    }

    /// Persists `metadata` and makes it current. Caller holds `changeLock`.
    func commit(_ metadata: ClusterMetadata) throws {
        try store.save(metadata)
        state.withLockedValue { $0 = metadata }
    }

    private func reconcileLogs(with metadata: ClusterMetadata) throws {
        for (tp, _) in logs.allLogs where metadata.topics[tp.topic].map({ Int(tp.partition) >= $0.partitions.count }) ?? true {
            logger.info("deleting log \(tp): its topic or partition is not in the metadata")
            try logs.deleteLog(for: tp)
        }
        for topic in metadata.topics.values {
            let config = logConfig(for: topic)
            for index in topic.partitions.indices {
                let tp = TopicPartition(topic.name, Int32(index))
                if logs.log(for: tp) == nil {
                    logger.info("creating missing log \(tp)")
                }
                let log = try logs.getOrCreateLog(for: tp, config: config)
                // This node is every partition's only replica: all it holds is committed. (The
                // checkpointed high watermark may lag behind what was acknowledged before a crash.)
                log.updateHighWatermark(log.logEndOffset)
            }
            // Logs found on disk were loaded with the broker's defaults: give them the topic's.
            applyConfig(of: topic)
        }
    }

    // MARK: Producer ids

    /// A producer id never handed out before, even across restarts: ids are reserved in
    /// persisted blocks of ``producerIdBlockSize``.
    public func allocateProducerId() throws -> Int64 {
        try changeLock.withLock {
            var metadata = snapshot
            let id = nextProducerId.withLockedValue { $0 }
            if id >= metadata.producerIdBlockEnd {
                metadata.producerIdBlockEnd = id + Self.producerIdBlockSize
                try commit(metadata)
            }
            nextProducerId.withLockedValue { $0 = id + 1 }
            return id
        }
    }
}
