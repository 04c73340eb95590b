import Foundation
import KafkaProtocol
import Logging
import NIOCore
import SluiceBase
import SluiceRaft

/// One node's part of the cluster: the metadata quorum (a ``RaftDriver`` over the
/// `__cluster_metadata-0` store, a voter or an observer), the replayed ``MetadataImage``, the
/// controller when this node is a voter, the broker's registration and heartbeats, and the
/// partition-state publisher the partition layer listens to.
///
/// Without `controller.quorum.voters` the node is a one-voter quorum of its own (a single broker,
/// same code path).
public final class ClusterNode: Sendable {
    public let nodeID: Int32
    let config: BrokerConfig
    let view: MetadataView
    let publisher: PartitionStatePublisher
    let driver: RaftDriver
    let controller: Controller?
    /// Connections to other brokers' client listeners (replication), on the broker's event loops.
    let pool: PeerConnectionPool
    /// Connections to the voters' controller listeners (Raft, forwarded requests, heartbeats), on
    /// the quorum's own event loop.
    let quorumPool: PeerConnectionPool
    let client: ControllerClient
    let lifecycle: BrokerLifecycle
    private let metadataLog: MetadataLog
    private let transport: RaftTransport
    /// The voters' controller listeners (empty addresses for a single node without one).
    let voters: [Int32: BrokerAddress]

    /// Opens (or creates) `<data-dir>/__cluster_metadata-0` and prepares the quorum; nothing runs
    /// until ``start(advertised:)``.
    ///
    /// `quorumGroup` carries the quorum's traffic — Raft requests to the voters, requests to the
    /// controller, heartbeats — (the controller listener serves on it too), apart from `group`,
    /// which serves clients and replication: as Kafka gives the controller and its Raft client
    /// network threads of their own, so that a burst of client or replication work (10,000 new
    /// partitions starting to replicate) never delays a fetch of the metadata log or a heartbeat.
    init(config: BrokerConfig, group: any EventLoopGroup, quorumGroup: any EventLoopGroup, logger: Logger,
         onFatalError: @escaping @Sendable (String) -> Void) throws {
        nodeID = config.nodeId
        self.config = config
        let settings = config.cluster
        let tick = max(1, settings.quorumTickMs)
        func ticks(_ ms: Int) -> Int { max(1, ms / tick) }
        let voterIds = config.quorumVoters.isEmpty ? [config.nodeId] : Array(config.quorumVoters.keys)
        let single = voterIds.count == 1
        let fetchTimeout = ticks(settings.quorumFetchTimeoutMs)
        let raftConfig = RaftConfig(
            nodeID: config.nodeId, voters: try VoterSet(voterIds),
            // A single voter has nobody to wait for: it elects itself on the first tick.
            electionTimeoutTicks: single ? 1 : ticks(settings.quorumElectionTimeoutMs),
            electionBackoffMaxTicks: ticks(settings.quorumElectionBackoffMaxMs),
            fetchTimeoutTicks: max(2, fetchTimeout),
            fetchMaxWaitTicks: max(1, min(ticks(500), fetchTimeout / 4)),
            requestTimeoutTicks: ticks(settings.quorumRequestTimeoutMs),
            retryBackoffTicks: ticks(settings.quorumRetryBackoffMs),
            randomSeed: UInt64.random(in: 0...UInt64.max))
        let store = try DiskRaftStore(directory: config.dataDirectory + "/__cluster_metadata-0")
        driver = try RaftDriver(config: raftConfig, store: store, tickMs: tick, logger: logger, onFatalError: onFatalError)
        voters = config.quorumVoters
        view = MetadataView()
        publisher = PartitionStatePublisher(broker: config.nodeId, config: config, logger: logger)
        if config.isController {
            var controllerSettings = ControllerSettings()
            controllerSettings.sessionTimeoutMs = settings.brokerSessionTimeoutMs
            controllerSettings.defaultReplicationFactor = config.defaultReplicationFactor
            controllerSettings.numPartitions = config.numPartitions
            controllerSettings.logDefaults = config.logDefaults
            controllerSettings.deleteTopicEnable = config.deleteTopicEnable
            controllerSettings.autoLeaderRebalanceEnable = settings.autoLeaderRebalanceEnable
            controllerSettings.leaderImbalanceCheckIntervalMs = settings.leaderImbalanceCheckIntervalSeconds * 1000
            controllerSettings.leaderImbalancePerBrokerPercentage = settings.leaderImbalancePerBrokerPercentage
            controllerSettings.uncleanLeaderElectionEnable = settings.uncleanLeaderElectionEnable
            controllerSettings.dataDirectory = config.dataDirectory
            controllerSettings.isSingleVoter = single
            controller = Controller(nodeID: config.nodeId, settings: controllerSettings, logger: logger,
                                    livenessProbe: BrokerLivenessProbe(group: quorumGroup))
        } else {
            controller = nil
        }
        metadataLog = MetadataLog(view: view, controller: controller, snapshotBytes: settings.metadataSnapshotBytes, logger: logger)
        // The broker's own TLS and SASL towards its peers (reads the TLS files: this runs on the I/O pool).
        do {
            let controllerSecurity = try PeerTransportSecurity(config.controllerPeerSecurity)
            let interBrokerSecurity = try PeerTransportSecurity(config.interBrokerSecurity)
            pool = PeerConnectionPool(group: group, clientId: "sluice-node-\(config.nodeId)",
                                      controllerSecurity: controllerSecurity, interBrokerSecurity: interBrokerSecurity)
            quorumPool = PeerConnectionPool(group: quorumGroup, clientId: "sluice-node-\(config.nodeId)",
                                            controllerSecurity: controllerSecurity, interBrokerSecurity: interBrokerSecurity)
        } catch {
            throw BrokerConfigError("the broker's own TLS settings towards its peers: \(error)")
        }
        transport = RaftTransport(nodeID: config.nodeId, voters: config.quorumVoters, pool: quorumPool, tickMs: tick,
                                  requestTimeoutMs: settings.quorumRequestTimeoutMs, logger: logger)
        client = ControllerClient(nodeID: config.nodeId, view: view, voters: config.quorumVoters, pool: quorumPool,
                                  group: quorumGroup, logger: logger)
        let publisher = self.publisher
        lifecycle = BrokerLifecycle(config: config, view: view, channel: client, loop: quorumGroup.next(), logger: logger,
                                    onCaughtUp: { publisher.start() })
        view.onPublish { publisher.publish($0, delta: $1) }
    }

    /// The requests this node serves on its controller listener (nil for a broker-only node).
    func controllerRegistry() -> HandlerRegistry? {
        guard let controller else { return nil }
        let services = ControllerServices(nodeID: nodeID, driver: driver, controller: controller, view: view, voters: voters)
        var registry = HandlerRegistry()
        registry.register(VoteHandler(services: services))
        registry.register(BeginQuorumEpochHandler(services: services))
        registry.register(EndQuorumEpochHandler(services: services))
        registry.register(MetadataFetchHandler(services: services))
        registry.register(FetchSnapshotHandler(services: services))
        registry.register(DescribeQuorumHandler(services: services))
        registry.register(BrokerRegistrationHandler(services: services))
        registry.register(BrokerHeartbeatHandler(services: services))
        registry.register(AlterPartitionHandler(services: services))
        registry.register(ControllerUnregisterBrokerHandler(services: services))
        registry.register(AllocateProducerIdsHandler(services: services))
        registry.register(ControllerCreateTopicsHandler(services: services))
        registry.register(ControllerDeleteTopicsHandler(services: services))
        registry.register(ControllerCreatePartitionsHandler(services: services))
        registry.register(ControllerAlterConfigsHandler(services: services))
        registry.register(ControllerAlterPartitionReassignmentsHandler(services: services))
        registry.register(ControllerListPartitionReassignmentsHandler(services: services))
        registry.register(ControllerAlterUserScramCredentialsHandler(services: services))
        registry.register(ControllerCreateAclsHandler(services: services))
        registry.register(ControllerDeleteAclsHandler(services: services))
        registry.register(ControllerAlterClientQuotasHandler(services: services))
        registry.registerSaslHandlers(logger: controller.logger)
        let advertised = registry.advertisedVersions + [(key: .apiVersions, versions: ApiVersionsHandler.versions)]
        registry.register(ApiVersionsHandler(advertised: advertised.sorted { $0.key.rawValue < $1.key.rawValue }))
        client.setLocalRegistry(registry)
        return registry
    }

    /// Starts the quorum and the broker's registration (with its advertised client address).
    func start(advertised: BrokerAddress) {
        driver.start(application: metadataLog, transport: transport)
        lifecycle.start(advertised: advertised)
    }

    /// Completes once the controller has unfenced this broker.
    var ready: EventLoopFuture<Void> { lifecycle.ready }

    /// Whether this broker's image has caught up with the metadata log since it started.
    public var hasCaughtUp: Bool { lifecycle.hasCaughtUp }

    /// This broker's registration epoch (AlterPartition carries it).
    public var brokerEpoch: Int64 { lifecycle.brokerEpoch }

    /// The active controller's id as this node knows it.
    public var controllerId: Int32? { view.controllerId }

    /// The latest committed metadata image.
    public var image: MetadataImage { view.image }

    /// The channel to the active controller (AlterPartition, forwarded admin requests).
    public var controllerChannel: any ControllerChannel { client }

    /// Registers a listener for this broker's partition changes (after the log keeper).
    public func addPartitionListener(_ listener: any PartitionStateListener) { publisher.add(listener) }

    /// Fails the requests still waiting for the controller or an image (a forwarded admin
    /// request, InitProducerId waiting for a producer-id block): after the controlled shutdown
    /// nothing needs the controller, and with the quorum lost they would hold the listener's drain
    /// for its whole grace period.
    func failWaitingRequests() {
        client.close()
        view.close()
    }

    /// Stops the quorum (resigning leadership first). The broker's controlled shutdown
    /// (`lifecycle.shutdown`) comes before, while its listeners still serve.
    func shutdown() async {
        // Requests still waiting for the controller or an image fail now (if they have not
        // already): the event loops that would time them out stop after this.
        failWaitingRequests()
        await driver.stop()
        quorumPool.closeAll()
        pool.closeAll()
    }
}
