import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceBase
import SluiceSecurity
import SluiceStorage

/// A Kafka-compatible broker: its part of the cluster (metadata quorum, controller, membership),
/// its partitions, and its listeners (clients; the controller listener on voters).
///
/// ```swift
/// let broker = try await Broker.start(config: config, logs: logManager, logger: logger)
/// print(broker.advertised)        // the address clients use
/// try await broker.ready.get()    // registered and unfenced
/// await broker.shutdown()
/// ```
public final class Broker: Sendable {
    public let config: BrokerConfig
    /// The address clients are told to connect to (bound port filled in).
    public let advertised: BrokerAddress
    /// The address the client listener is bound to.
    public let boundAddress: SocketAddress
    /// The controller listener's bound address, on voters that have one.
    public let controllerAddress: SocketAddress?
    /// This node's part of the cluster (metadata image, partition-state listeners, controller channel).
    public let cluster: ClusterNode
    let services: BrokerServices
    /// This broker's metrics (its own registry: brokers in one process never mix figures).
    public let metrics: BrokerMetrics
    private let server: BrokerServer
    private let controllerServer: BrokerServer?
    private let group: MultiThreadedEventLoopGroup
    /// The quorum's own event loop: the controller listener, Raft and controller requests,
    /// heartbeats (see ``ClusterNode``).
    private let quorumGroup: MultiThreadedEventLoopGroup
    /// The I/O pool (blocking file work: logs, the scrape's /proc reads).
    let pool: NIOThreadPool
    let logs: any LogDirectory
    private let certificateReload: RepeatedTask?
    private let metricsServer = NIOLockedValueBox<(server: MetricsHTTPServer, address: SocketAddress)?>(nil)

    private init(config: BrokerConfig, advertised: BrokerAddress, boundAddress: SocketAddress, controllerAddress: SocketAddress?,
                 cluster: ClusterNode, services: BrokerServices, server: BrokerServer, controllerServer: BrokerServer?,
                 group: MultiThreadedEventLoopGroup, quorumGroup: MultiThreadedEventLoopGroup, pool: NIOThreadPool,
                 logs: any LogDirectory, certificateReload: RepeatedTask?) {
        self.config = config
        self.advertised = advertised
        self.boundAddress = boundAddress
        self.controllerAddress = controllerAddress
        self.cluster = cluster
        self.services = services
        self.metrics = services.metrics
        self.server = server
        self.controllerServer = controllerServer
        self.group = group
        self.quorumGroup = quorumGroup
        self.pool = pool
        self.logs = logs
        self.certificateReload = certificateReload
    }

    /// Opens the metadata log in `config.dataDirectory`, starts the listeners and joins the
    /// cluster. With `waitUntilReady` (the default) it returns once the controller has unfenced
    /// this broker — immediate for a single node; a broker of a multi-node cluster started alone
    /// would wait for its quorum, so its command passes false and reports readiness later.
    public static func start(config: BrokerConfig, logs: any LogDirectory, logger: Logger,
                             eventLoopThreads: Int = System.coreCount, waitUntilReady: Bool = true,
                             readyTimeout: TimeAmount = .seconds(60)) async throws -> Broker {
        let pool = NIOThreadPool(numberOfThreads: config.ioThreads)
        pool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        let quorumGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var cluster: ClusterNode?
        do {
            let node = try await pool.runIfActive {
                try ClusterNode(config: config, group: group, quorumGroup: quorumGroup, logger: logger) { reason in
                    logger.critical("stopping: \(reason)")
                    exit(70)
                }
            }
            cluster = node
            let replicas = ReplicaManager(logs: logs, pool: pool, peers: node, localId: config.nodeId,
                                          config: config.replication, logger: logger)
            let localReplicas = LocalReplicas(nodeID: config.nodeId, logs: logs, logger: logger)
            node.addPartitionListener(localReplicas)
            node.addPartitionListener(ReplicationListener(replicas: replicas, logger: logger))
            replicas.start()
            let metadata = MetadataManager(config: config, cluster: node, logger: logger)
            let groups = GroupCoordinator(
                config: config.groups,
                log: BrokerOffsetsLog(replicas: replicas, metadata: metadata, eventLoop: group.next()),
                timerLoop: group.next(), logger: logger)
            let markerAppender = TransactionMarkerAppender(replicas: replicas, groups: groups)
            let transactions = TransactionCoordinator(
                config: config.transactions,
                log: BrokerOffsetsLog(replicas: replicas, metadata: metadata, eventLoop: group.next(),
                                      topic: TransactionStateTopic.name),
                markers: BrokerTransactionMarkerWriter(cluster: node, appender: markerAppender, nodeId: config.nodeId,
                                                       backoffMs: config.transactions.markerRetryBackoffMs, logger: logger),
                timerLoop: group.next(), logger: logger)
            let metrics = BrokerMetrics()
            node.addPartitionListener(IsrChangeCounter(metrics: metrics))
            let services = BrokerServices(config: config, metadata: metadata, replicas: replicas, groups: groups,
                                          transactions: transactions, markerAppender: markerAppender, cluster: node,
                                          localReplicas: localReplicas, metrics: metrics, logger: logger)
            // Each listener's security; TLS contexts read their files here, on the I/O pool.
            let view = node.view
            let scramCredential: @Sendable (ScramMechanism, String) -> ScramCredential? = { mechanism, user in
                view.image.scramCredentials[user]?[mechanism]
            }
            let clientListener = try await pool.runIfActive {
                try ListenerRuntime(security: try config.listenerSecurity(config.listenerName),
                                    failedAuthenticationDelayMs: config.failedAuthenticationDelayMs, fileReadPool: pool,
                                    scramCredential: scramCredential)
            }
            var runtimes = [clientListener]
            var controllerServer: BrokerServer?
            var controllerAddress: SocketAddress?
            if let registry = node.controllerRegistry(), let listener = config.controllerListener {
                let runtime = try await pool.runIfActive {
                    try ListenerRuntime(security: try config.listenerSecurity(config.controllerListenerNames.first ?? "CONTROLLER"),
                                        failedAuthenticationDelayMs: config.failedAuthenticationDelayMs, fileReadPool: pool,
                                        scramCredential: scramCredential)
                }
                runtimes.append(runtime)
                let server = BrokerServer(group: quorumGroup, registry: registry, maxFrameSize: config.socketRequestMaxBytes,
                                          listener: runtime, logger: logger)
                controllerAddress = try await server.start(host: listener.host, port: listener.port)
                controllerServer = server
            }
            let server = BrokerServer(group: group, registry: HandlerRegistry.standard(services: services),
                                      maxFrameSize: config.socketRequestMaxBytes, listener: clientListener, metrics: metrics,
                                      logger: logger)
            let bound = try await server.start(host: config.listener.host, port: config.listener.port)
            // Port 0 binds an ephemeral port: clients must be told the real one.
            let advertised = config.advertised(boundPort: bound.port ?? config.listener.port)
            services.setAdvertised(advertised)
            services.resumeGroups()
            services.resumeTransactions()
            node.start(advertised: advertised)
            let certificateReload = Self.watchCertificates(runtimes, group: group, pool: pool, logger: logger)
            let broker = Broker(config: config, advertised: advertised, boundAddress: bound, controllerAddress: controllerAddress,
                                cluster: node, services: services, server: server, controllerServer: controllerServer,
                                group: group, quorumGroup: quorumGroup, pool: pool, logs: logs, certificateReload: certificateReload)
            if let listener = config.metricsListener {
                do {
                    try await broker.startMetricsServer(listener, logger: logger)
                } catch {
                    await broker.shutdown()
                    throw BrokerConfigError("cannot listen on metrics.listener \(listener): \(error)")
                }
            }
            if waitUntilReady {
                do {
                    try await withTimeout(node.ready, readyTimeout, on: group.next())
                } catch {
                    await broker.shutdown()
                    throw BrokerConfigError("the broker did not join its cluster within \(readyTimeout): \(error)")
                }
            }
            return broker
        } catch {
            if let cluster { await cluster.shutdown() }
            try? await quorumGroup.shutdownGracefully()
            try? await group.shutdownGracefully()
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    /// How often TLS listeners look at their certificate files.
    static let certificateCheckInterval: TimeAmount = .seconds(1)

    /// Re-reads changed TLS files of the listeners, every ``certificateCheckInterval``, on the I/O
    /// pool (the event loops never read files); nil when no listener uses TLS.
    private static func watchCertificates(_ runtimes: [ListenerRuntime], group: any EventLoopGroup, pool: NIOThreadPool,
                                          logger: Logger) -> RepeatedTask? {
        let tls = runtimes.filter { $0.tls != nil }
        guard !tls.isEmpty else { return nil }
        let loop = group.next()
        return loop.scheduleRepeatedAsyncTask(initialDelay: certificateCheckInterval, delay: certificateCheckInterval) { _ in
            pool.runIfActive(eventLoop: loop) {
                for runtime in tls { runtime.reloadCertificates(logger: logger) }
            }
        }
    }

    /// The HTTP endpoint's bound address (`metrics.listener`), nil when it has none.
    public var metricsAddress: SocketAddress? { metricsServer.withLockedValue { $0?.address } }

    /// Open client connections (the client listener).
    var clientConnectionCount: Int { server.connectionCount }

    private func startMetricsServer(_ listener: BrokerAddress, logger: Logger) async throws {
        // Weak: the server lives inside this broker; it must not keep it alive.
        let endpoints = MetricsEndpoints(
            scrape: { [weak self] loop in
                self?.scrapeMetrics(on: loop) ?? loop.makeSucceededFuture([])
            },
            readiness: { [weak self] in self?.readiness ?? BrokerReadiness(reason: "shutting down") })
        let http = MetricsHTTPServer(group: group, endpoints: endpoints, logger: logger)
        let address = try await http.start(host: listener.host, port: listener.port)
        metricsServer.withLockedValue { $0 = (http, address) }
    }

    /// Completes once the controller has unfenced this broker.
    public var ready: EventLoopFuture<Void> { cluster.ready }

    /// Controlled shutdown (leaderships move away first), then stops accepting, answers
    /// in-flight requests, wakes waiting fetches, stops the quorum and closes the logs.
    public func shutdown() async {
        certificateReload?.cancel()
        if let http = metricsServer.withLockedValue({ $0?.server }) { await http.shutdown() }
        await cluster.lifecycle.shutdown(timeout: .seconds(5))
        // Before the server drains, so that JoinGroups waiting for a rebalance are answered (NOT_COORDINATOR).
        services.groups.shutdown()
        services.transactions.shutdown()
        services.replicas.shutdown()
        cluster.failWaitingRequests()
        await server.shutdown()
        // The quorum stops before the controller listener drains: the Raft fetches other voters
        // hold on that listener (long polls) are answered only when the quorum stops, so draining
        // first waited out the whole grace period (1 s of every controller's shutdown).
        await cluster.shutdown()
        await controllerServer?.shutdown(gracePeriod: .seconds(1))
        do {
            try await pool.runIfActive { [logs] in logs.shutdown() }
        } catch {
            services.logger.error("closing the logs failed: \(error)")
        }
        try? await pool.shutdownGracefully()
        try? await quorumGroup.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}

/// Waits for `future`, failing after `timeout`.
private func withTimeout(_ future: EventLoopFuture<Void>, _ timeout: TimeAmount, on loop: any EventLoop) async throws {
    let promise = loop.makePromise(of: Void.self)
    future.cascade(to: promise)
    let timer = loop.scheduleTask(in: timeout) { promise.fail(ApiError(.requestTimedOut, "timed out")) }
    defer { timer.cancel() }
    try await promise.futureResult.get()
}
