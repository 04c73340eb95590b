import Logging
import NIOConcurrencyHelpers
import NIOCore

/// What the handlers share: this node's identity and address, the metadata, the partitions, the
/// group coordinator.
struct BrokerServices: Sendable {
    let config: BrokerConfig
    private let advertisedBox: NIOLockedValueBox<HostAndPort>
    let metadata: MetadataManager
    let replicas: ReplicaManager
    /// Consumer groups and committed offsets (`Groups/`).
    let groups: GroupCoordinator
    let logger: Logger

    init(config: BrokerConfig, metadata: MetadataManager, replicas: ReplicaManager, groups: GroupCoordinator,
         logger: Logger) {
        self.config = config
        self.advertisedBox = NIOLockedValueBox(config.advertised(boundPort: config.listener.port))
        self.metadata = metadata
        self.replicas = replicas
        self.groups = groups
        self.logger = logger
    }

    var nodeId: Int32 { config.nodeId }

    /// The host and port clients are told to use (the advertised listener, or the bound address).
    var advertised: HostAndPort { advertisedBox.withLockedValue { $0 } }

    /// Set once the listener is bound (its port is known only then when configured as 0).
    func setAdvertised(_ address: HostAndPort) { advertisedBox.withLockedValue { $0 = address } }

    /// Runs blocking work (disk, fsync, metadata changes) on the I/O pool.
    func offLoop<T: Sendable>(_ context: RequestContext, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        replicas.offLoop(on: context.eventLoop, body)
    }
}
