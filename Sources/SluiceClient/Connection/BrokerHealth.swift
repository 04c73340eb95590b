import NIOConcurrencyHelpers
import SluiceBase

/// Which broker addresses recently failed to answer a request in time, shared by the pool and its
/// connections.
///
/// A connection whose request times out closes itself, so the fact that its broker is hung would be
/// lost with it; the pool would reconnect to the same broker (a stopped process still accepts TCP
/// connections) and wait a whole request timeout again. The connection records the timeout here
/// instead, and the pool's choice of a connection for requests that may go to any broker skips the
/// address for ``backoff``, as Kafka's clients skip a node in reconnect backoff.
final class BrokerHealth: Sendable {
    /// How long an address that timed out is avoided for requests that may go anywhere.
    let backoff: Duration
    /// Protects the map of address → when its last request or connect timed out.
    private let timedOut = NIOLockedValueBox<[BrokerAddress: ContinuousClock.Instant]>([:])

    init(backoff: Duration) {
        self.backoff = backoff
    }

    /// Records that a request to (or a connect to) `address` timed out just now.
    func recordTimeout(_ address: BrokerAddress) {
        let now = ContinuousClock.now
        timedOut.withLockedValue { $0[address] = now }
    }

    /// Forgets earlier timeouts: `address` answered.
    func recordAnswer(_ address: BrokerAddress) {
        timedOut.withLockedValue { if $0[address] != nil { $0[address] = nil } }
    }

    /// Whether `address` timed out within the backoff.
    func isBackingOff(_ address: BrokerAddress, now: ContinuousClock.Instant = .now) -> Bool {
        timedOut.withLockedValue { $0[address].map { now - $0 < backoff } ?? false }
    }

    /// When `address` last timed out, if it did (for ordering fallbacks: longest ago first).
    func lastTimeout(_ address: BrokerAddress) -> ContinuousClock.Instant? {
        timedOut.withLockedValue { $0[address] }
    }
}
