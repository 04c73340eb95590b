#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import SluiceBase

/// The controller's confirmation that a broker whose heartbeat connection closed is really gone:
/// one TCP connect to each of its registered listeners. A process that died has closed its
/// listening sockets, so the kernel refuses at once; a live broker accepts (the connection is
/// closed again unused); a host that does not answer within `timeout` (a partition, a frozen
/// machine) proves nothing, and the session timeout stays the bound for it.
///
/// Kafka's controller waits out `broker.session.timeout.ms` after a broker dies; the design
/// notes call a reset heartbeat connection "a strong hint that ends the lease early (confirm
/// with one probe)" — this is the probe.
final class BrokerLivenessProbe: Sendable {
    enum Verdict: Sendable, Equatable {
        /// Every listener refused the connection: nothing listens there any more.
        case gone
        /// A listener accepted: the broker (or something at its address) is alive.
        case alive
        /// No answer in time, or an error that says neither (unreachable network, no address).
        case unknown
    }

    private let group: any EventLoopGroup
    let timeout: TimeAmount

    init(group: any EventLoopGroup, timeout: TimeAmount = .milliseconds(500)) {
        self.group = group
        self.timeout = timeout
    }

    /// Probes every address; `.gone` only when all of them refused.
    func check(_ addresses: [BrokerAddress]) -> EventLoopFuture<Verdict> {
        let loop = group.next()
        guard !addresses.isEmpty else { return loop.makeSucceededFuture(.unknown) }
        let probes = addresses.map { probe($0, on: loop) }
        return EventLoopFuture.whenAllComplete(probes, on: loop).map { results in
            let verdicts = results.map { (try? $0.get()) ?? .unknown }
            if verdicts.contains(.alive) { return .alive }
            return verdicts.allSatisfy { $0 == .gone } ? .gone : .unknown
        }
    }

    private func probe(_ address: BrokerAddress, on loop: any EventLoop) -> EventLoopFuture<Verdict> {
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .connect(host: address.host, port: address.port)
            .map { channel in
                channel.close(promise: nil)
                return Verdict.alive
            }
            .recover { error in Self.isRefused(error) ? .gone : .unknown }
    }

    /// ECONNREFUSED, directly or among the attempts of a multi-address connect.
    static func isRefused(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { isRefused($0.error) }
        }
        return false
    }
}
