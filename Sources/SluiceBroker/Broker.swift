import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import SluiceStorage

/// A single-node Kafka-compatible broker: the metadata, the partitions and the server.
///
/// ```swift
/// let broker = try await Broker.start(config: config, logs: logManager, logger: logger)
/// print(broker.advertised)        // the address clients use
/// await broker.shutdown()
/// ```
public final class Broker: Sendable {
    public let config: BrokerConfig
    /// The address clients are told to connect to (bound port filled in).
    public let advertised: HostAndPort
    /// The address the listener is bound to.
    public let boundAddress: SocketAddress
    let services: BrokerServices
    private let server: BrokerServer
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let logs: any LogDirectory

    private init(config: BrokerConfig, advertised: HostAndPort, boundAddress: SocketAddress, services: BrokerServices,
                 server: BrokerServer, group: MultiThreadedEventLoopGroup, pool: NIOThreadPool, logs: any LogDirectory) {
        self.config = config
        self.advertised = advertised
        self.boundAddress = boundAddress
        self.services = services
        self.server = server
        self.group = group
        self.pool = pool
        self.logs = logs
    }

    /// Loads the metadata from `config.dataDirectory` (or starts a new cluster), reconciles the
    /// logs with it, and starts listening.
    public static func start(config: BrokerConfig, logs: any LogDirectory, store: (any MetadataStore)? = nil,
                             logger: Logger, eventLoopThreads: Int = System.coreCount) async throws -> Broker {
        let pool = NIOThreadPool(numberOfThreads: config.ioThreads)
        pool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        do {
            let store = store ?? FileMetadataStore(directory: config.dataDirectory)
            let metadata = try await pool.runIfActive {
                try MetadataManager(config: config, store: store, logs: logs, logger: logger)
            }
            let replicas = ReplicaManager(logs: logs, pool: pool, logger: logger)
            let groups = GroupCoordinator(
                config: config.groups,
                log: BrokerOffsetsLog(replicas: replicas, metadata: metadata, eventLoop: group.next()),
                timerLoop: group.next(), logger: logger)
            let services = BrokerServices(config: config, metadata: metadata, replicas: replicas, groups: groups,
                                          logger: logger)
            services.resumeGroups()
            let server = BrokerServer(group: group, registry: HandlerRegistry.standard(services: services),
                                      maxFrameSize: config.socketRequestMaxBytes, logger: logger)
            let bound = try await server.start(host: config.listener.host, port: config.listener.port)
            // Port 0 binds an ephemeral port: clients must be told the real one.
            let advertised = config.advertised(boundPort: bound.port ?? config.listener.port)
            services.setAdvertised(advertised)
            return Broker(config: config, advertised: advertised, boundAddress: bound, services: services,
                          server: server, group: group, pool: pool, logs: logs)
        } catch {
            try? await group.shutdownGracefully()
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    /// Stops accepting, answers in-flight requests, wakes waiting fetches, closes the logs.
    public func shutdown() async {
        // First, so that JoinGroups waiting for a rebalance are answered (NOT_COORDINATOR).
        services.groups.shutdown()
        services.replicas.purgatory.wakeAll()
        await server.shutdown()
        do {
            try await pool.runIfActive { [logs] in logs.shutdown() }
        } catch {
            services.logger.error("closing the logs failed: \(error)")
        }
        try? await pool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}
