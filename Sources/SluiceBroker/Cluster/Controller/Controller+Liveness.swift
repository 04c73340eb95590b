import KafkaProtocol
import SluiceBase

// Fast failure detection: a broker process that dies closes its sockets, so its heartbeat
// connection to the active controller closes at once. The controller confirms with a probe of
// the broker's listeners (``BrokerLivenessProbe``) and, when nothing listens there any more,
// fences the broker in the same metadata change that takes it out of every ISR and elects new
// leaders — without waiting out `broker.session.timeout.ms`, which stays the bound for silent
// failures (power loss, a partition: the probe cannot tell, so it does nothing).
extension Controller {
    /// The connection broker `id` heartbeated on at `epoch` closed at `closedAtMs` (driver ms).
    func heartbeatConnectionClosed(_ id: Int32, epoch: Int64, closedAtMs: Int64, driver: RaftDriver) {
        guard isActive, let broker = image.brokers[id], broker.epoch == epoch, !broker.fenced else { return }
        confirmGone(broker, because: "its heartbeat connection closed", sinceMs: closedAtMs, driver: driver)
    }

    /// A new active controller has no heartbeat connections yet (a broker that died with the
    /// previous controller never makes one): it probes every other unfenced broker once.
    func probeBrokersOnActivation(driver: RaftDriver) {
        let now = driver.nowMs
        for broker in image.brokers.values.sorted(by: { $0.id < $1.id }) where !broker.fenced && broker.id != nodeID {
            confirmGone(broker, because: "this controller just became active", sinceMs: now, driver: driver)
        }
    }

    /// Probes `broker`'s listeners; fences it if every one refuses and no heartbeat arrived
    /// since `sinceMs`.
    private func confirmGone(_ broker: BrokerRegistration, because reason: String, sinceMs: Int64, driver: RaftDriver) {
        guard let probe = livenessProbe else { return }
        let addresses = broker.endpoints.map(\.address)
        let (id, epoch) = (broker.id, broker.epoch)
        probe.check(addresses).whenSuccess { [self] verdict in
            guard verdict == .gone else { return }
            driver.submit { [self] driver in
                probeFoundNothing(id, epoch: epoch, because: reason, sinceMs: sinceMs, driver: driver)
            }
        }
    }

    private func probeFoundNothing(_ id: Int32, epoch: Int64, because reason: String, sinceMs: Int64,
                                   driver: RaftDriver) {
        guard isActive, let broker = image.brokers[id], broker.epoch == epoch, !broker.fenced else { return }
        // A heartbeat that came after the hint proves the broker alive (it moved to a new
        // connection, or restarted on the same address).
        if let contact = heartbeats.lastContact(id, epoch: epoch), contact > sinceMs { return }
        let listeners = broker.endpoints.map { "\($0.address)" }.joined(separator: ", ")
        fence(broker, driver: driver,
              why: "broker \(id) is gone (\(reason), and nothing listens at \(listeners)): fencing it")
    }
}
