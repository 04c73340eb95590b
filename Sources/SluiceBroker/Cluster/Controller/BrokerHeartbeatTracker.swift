import NIOConcurrencyHelpers

/// When each broker (id and epoch) last sent a heartbeat, recorded as the request *arrives*, on
/// the handler's event loop — Kafka's `BrokerHeartbeatTracker`, which its request handlers update
/// directly "so that heartbeats always get through, even if the main controller thread is busy".
///
/// The controller answers heartbeats on its application queue, behind whatever operation runs
/// there (placing and replaying 10,000 partitions takes seconds in a debug build on a loaded
/// machine); its lease check counts this contact time too, so a broker whose heartbeats arrived
/// on time is never fenced because the controller was slow to look at them.
final class BrokerHeartbeatTracker: Sendable {
    private struct Key: Hashable {
        var id: Int32
        var epoch: Int64
    }

    private let contacts = NIOLockedValueBox<[Key: Int64]>([:])
    /// The connection each broker (id and epoch) heartbeats on, once its close is watched.
    private let connections = NIOLockedValueBox<[Key: ObjectIdentifier]>([:])

    /// A heartbeat from broker `id` at `epoch` arrived at `nowMs` (the driver's clock).
    func touch(_ id: Int32, epoch: Int64, nowMs: Int64) {
        let key = Key(id: id, epoch: epoch)
        contacts.withLockedValue { $0[key] = max($0[key] ?? nowMs, nowMs) }
    }

    /// When broker `id` at `epoch` was last heard from, if ever.
    func lastContact(_ id: Int32, epoch: Int64) -> Int64? {
        contacts.withLockedValue { $0[Key(id: id, epoch: epoch)] }
    }

    /// Broker `id` at `epoch` heartbeats on `connection`: true the first time (the caller then
    /// watches that connection's close), false while it keeps using the same one.
    func noteConnection(_ id: Int32, epoch: Int64, connection: ObjectIdentifier) -> Bool {
        connections.withLockedValue { connections in
            let key = Key(id: id, epoch: epoch)
            guard connections[key] != connection else { return false }
            connections[key] = connection
            return true
        }
    }

    /// Forgets every epoch of broker `id` but `keeping` (a new registration replaced them).
    func forget(_ id: Int32, keeping: Int64? = nil) {
        contacts.withLockedValue { contacts in
            for key in contacts.keys where key.id == id && key.epoch != keeping { contacts[key] = nil }
        }
        connections.withLockedValue { connections in
            for key in connections.keys where key.id == id && key.epoch != keeping { connections[key] = nil }
        }
    }
}
