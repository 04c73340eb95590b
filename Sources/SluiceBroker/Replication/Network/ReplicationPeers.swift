import KafkaProtocol
import NIOCore
import SluiceBase

/// What replication needs from the rest of the cluster: this broker's registration epoch, the
/// other brokers' addresses, a connection to each, and the channel to the active controller.
/// ``ClusterNode`` provides it in the broker; tests provide their own.
protocol ReplicationPeers: Sendable {
    /// This broker's epoch from its registration (-1 before it registered).
    var brokerEpoch: Int64 { get }
    /// The replication (client) endpoint of a broker, from the metadata.
    func address(of broker: Int32) -> BrokerAddress?
    /// Sends a request to another broker on a connection reserved for replica fetching.
    func send<R: KafkaRequest>(_ request: R, version: Int16, to address: BrokerAddress, timeout: TimeAmount)
        -> EventLoopFuture<R.Response>
    /// Sends an AlterPartition to the active controller (following it when it moves).
    func alterPartition(_ request: AlterPartitionRequest, version: Int16, timeoutMs: Int64) async throws
        -> AlterPartitionResponse
    /// An event loop for timers.
    var eventLoop: any EventLoop { get }
    /// Whether this broker holds its lease with the controller (`BrokerLifecycle.holdsLease`);
    /// true where there is no controller to lose (tests' peers).
    var holdsLease: Bool { get }
}

extension ReplicationPeers {
    var holdsLease: Bool { true }
}

extension ClusterNode: ReplicationPeers {
    func address(of broker: Int32) -> BrokerAddress? {
        guard let endpoint = view.image.brokers[broker]?.clientEndpoint else { return nil }
        return endpoint.address
    }

    func send<R: KafkaRequest>(_ request: R, version: Int16, to address: BrokerAddress, timeout: TimeAmount)
        -> EventLoopFuture<R.Response> {
        pool.send(request, version: version, to: address, lane: .other("replica-fetch"), timeout: timeout)
    }

    func alterPartition(_ request: AlterPartitionRequest, version: Int16, timeoutMs: Int64) async throws
        -> AlterPartitionResponse {
        try await controllerChannel.send(request, version: version, timeoutMs: timeoutMs)
    }

    var eventLoop: any EventLoop { pool.eventLoop }

    var holdsLease: Bool { lifecycle.holdsLease }
}
