import KafkaProtocol
import NIOCore
import NIOPosix
import SluiceBase

/// The shared core of the producer, the consumer and the admin client: connections to the
/// brokers, the metadata cache, version negotiation and retries.
///
/// ```swift
/// let client = KafkaClient(configuration: ClientConfiguration(bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: 9092)]))
/// let metadata = try await client.metadata(topics: ["orders"])
/// await client.close()
/// ```
public final class KafkaClient: Sendable {
    public let configuration: ClientConfiguration
    let group: EventLoopGroup
    let pool: ConnectionPool
    let metadataCache: MetadataCache

    /// Creates a client; nothing is connected until the first request.
    public init(configuration: ClientConfiguration, eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.pool = ConnectionPool(configuration: configuration, group: eventLoopGroup)
        self.metadataCache = MetadataCache(maxAge: configuration.metadataMaxAge)
    }

    /// Closes every connection. Requests in flight fail.
    public func close() async {
        await pool.closeAll()
    }

    // MARK: Metadata

    /// Cluster metadata covering `topics` (nil: every topic), from the cache when fresh.
    public func metadata(topics: [String]? = nil, refresh: Bool = false) async throws -> ClusterMetadata {
        try await metadataCache.get(topics: topics.map(Set.init), forceRefresh: refresh) { [self] wanted in
            try await fetchMetadata(topics: wanted)
        }
    }

    /// The snapshot in the cache, without asking the cluster.
    public var cachedMetadata: ClusterMetadata { metadataCache.current }

    /// Marks the metadata stale, so that the next use refreshes it.
    public func invalidateMetadata() { metadataCache.invalidate() }

    /// One Metadata request to any broker. `allowAutoTopicCreation` asks the broker to create
    /// missing topics when its `auto.create.topics.enable` allows (v4+; older versions follow the
    /// broker's setting alone).
    func fetchMetadata(topics: Set<String>?, allowAutoTopicCreation: Bool = false) async throws -> ClusterMetadata {
        try await withAnyBroker("Metadata") { connection in
            let version = try connection.versions.requireVersion(for: .metadata, broker: connection.description)
            var request = MetadataRequest()
            if let topics {
                request.topics = topics.sorted().map { MetadataRequest.MetadataRequestTopic(name: $0) }
            } else {
                request.topics = version == 0 ? [] : nil
            }
            request.allowAutoTopicCreation = allowAutoTopicCreation
            let response = try await connection.send(request, version: version)
            return ClusterMetadata(response: response)
        }
    }

    // MARK: Connections

    /// A connection to any broker of the cluster: the least loaded one that answers in time (see
    /// ``ConnectionPool/anyConnection(known:avoiding:)``).
    public func anyConnection() async throws -> BrokerConnection {
        try await anyConnection(avoiding: nil)
    }

    func anyConnection(avoiding: BrokerAddress?) async throws -> BrokerConnection {
        let known = metadataCache.current.brokers.values.map { ($0.nodeId, $0.address) }
        return try await pool.anyConnection(known: known, avoiding: avoiding)
    }

    /// The connection to broker `nodeId` (its address comes from metadata).
    public func connection(toNode nodeId: Int32) async throws -> BrokerConnection {
        var broker = metadataCache.current.brokers[nodeId]
        if broker == nil {
            broker = try await metadata(refresh: true).brokers[nodeId]
        }
        guard let broker else {
            throw KafkaClientError(.broker(.brokerNotAvailable), "broker \(nodeId) is not in the cluster's metadata")
        }
        return try await pool.connection(node: nodeId, address: broker.address)
    }

    /// Drops a connection that failed, and marks metadata stale.
    func discard(_ connection: BrokerConnection) async {
        await pool.discard(connection)
        metadataCache.invalidate()
    }

    // MARK: Retries

    /// Runs `operation`, retrying retriable failures with backoff; metadata is marked stale
    /// before a retry when the error says it is out of date. Non-retriable errors and the last
    /// attempt's error are thrown as they are.
    public func withRetries<T: Sendable>(
        _ what: String, policy: RetryPolicy? = nil, _ operation: () async throws -> T
    ) async throws -> T {
        let policy = policy ?? configuration.retry
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as KafkaClientError {
                guard error.isRetriable, attempt < policy.maxAttempts else { throw error }
                if error.invalidatesMetadata { metadataCache.invalidate() }
                try await Task.sleep(for: policy.backoff(afterAttempt: attempt))
                attempt += 1
            }
        }
    }
}
