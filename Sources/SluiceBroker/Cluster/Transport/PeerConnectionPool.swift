import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// Connections to peers by (address, lane), made on first use and replaced when they break.
///
/// A *lane* separates traffic that must not queue behind other traffic on one connection (a
/// Kafka server answers in request order): the Raft fetch (a long poll) has its own lane, votes
/// and quorum-epoch messages another, controller requests (registration, heartbeats, forwarded
/// admin requests) a third.
final class PeerConnectionPool: Sendable {
    enum Lane: Hashable, Sendable {
        case raftFetch, raftControl, controller, other(String)
    }

    private struct Key: Hashable {
        var address: BrokerAddress
        var lane: Lane
    }

    private let group: any EventLoopGroup
    private let clientId: String
    /// Raft and controller lanes go to controller listeners, the others to broker listeners.
    private let controllerSecurity: PeerTransportSecurity
    private let interBrokerSecurity: PeerTransportSecurity
    private let connections = NIOLockedValueBox<[Key: EventLoopFuture<PeerConnection>]>([:])
    private let nextCorrelation = NIOLockedValueBox<Int32>(1)

    init(group: any EventLoopGroup, clientId: String, controllerSecurity: PeerTransportSecurity = .plaintext,
         interBrokerSecurity: PeerTransportSecurity = .plaintext) {
        self.group = group
        self.clientId = clientId
        self.controllerSecurity = controllerSecurity
        self.interBrokerSecurity = interBrokerSecurity
    }

    /// Sends on the lane's connection to `address` (connecting first if needed). The correlation
    /// id is the pool's own unless given (the Raft transport passes the core's ids).
    func send<R: KafkaRequest>(_ request: R, version: Int16, to address: BrokerAddress, lane: Lane,
                               correlationId: Int32? = nil, timeout: TimeAmount) -> EventLoopFuture<R.Response> {
        let id = correlationId ?? nextCorrelation.withLockedValue { value in
            defer { value = value == Int32.max ? 1 : value + 1 }
            return value
        }
        return connection(to: address, lane: lane).flatMap { [clientId] connection in
            connection.send(request, version: version, correlationId: id, clientId: clientId, timeout: timeout)
        }
    }

    private func connection(to address: BrokerAddress, lane: Lane) -> EventLoopFuture<PeerConnection> {
        let key = Key(address: address, lane: lane)
        return connections.withLockedValue { connections in
            // Broken connections are forgotten (below), so a stored one is live or still connecting.
            if let existing = connections[key] { return existing }
            let security: PeerTransportSecurity
            switch lane {
            case .raftFetch, .raftControl, .controller: security = controllerSecurity
            case .other: security = interBrokerSecurity
            }
            let future = PeerConnection.connect(to: address, group: group, security: security)
            connections[key] = future
            future.whenFailure { [weak self] _ in self?.forget(key, future) }
            future.whenSuccess { [weak self] connection in
                connection.closeFuture.whenComplete { _ in self?.forget(key, future) }
            }
            return future
        }
    }

    private func forget(_ key: Key, _ future: EventLoopFuture<PeerConnection>) {
        connections.withLockedValue { connections in
            if connections[key] === future { connections[key] = nil }
        }
    }

    /// An event loop of the pool's group (for timers of callers without one).
    var eventLoop: any EventLoop { group.next() }

    func closeAll() {
        let all = connections.withLockedValue { connections in
            defer { connections.removeAll() }
            return Array(connections.values)
        }
        for future in all { future.whenSuccess { $0.close() } }
    }
}
