import NIOConcurrencyHelpers
import NIOCore

/// Duplicated descriptors of one segment file for read results, reused across reads.
///
/// Each read result needs a handle of its own (NIO's `NIOFileHandle` refuses concurrent use),
/// and the handle must outlive the segment (retention may delete it while a fetch is being
/// sent). A dup(2) and a close(2) per fetch cost as much as the fetch of a small batch itself,
/// so released handles come back here and the next read takes one. Once the segment is closed
/// or deleted the pool closes what it holds and every handle given back afterwards.
///
/// Handles travel in ``ReadLease``s, which are pooled too: a fetch allocates nothing.
final class ReadHandlePool: Sendable {
    /// At most this many idle handles are kept per segment.
    static let capacity = 8

    private struct State {
        var idle: [ReadLease] = []
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    deinit { close() }

    /// An idle lease, or a new one over a handle from `make`.
    func take(orMake make: () throws -> NIOFileHandle) throws -> ReadLease {
        if let lease = state.withLockedValue({ $0.closed ? nil : $0.idle.popLast() }) { return lease }
        return ReadLease(handle: try make())
    }

    /// Gives `lease` back unless it came back since it was lent as `generation` (a second
    /// release of the same read result); returns whether this call gave it back.
    @discardableResult
    func giveBack(_ lease: ReadLease, generation: UInt64) -> Bool {
        let outcome = state.withLockedValue { state -> (returned: Bool, kept: Bool) in
            guard lease.generation == generation else { return (false, false) }
            lease.generation &+= 1
            guard !state.closed, state.idle.count < Self.capacity else { return (true, false) }
            state.idle.append(lease)
            return (true, true)
        }
        if outcome.returned && !outcome.kept { try? lease.handle.close() }
        return outcome.returned
    }

    /// Closes the idle handles; handles in use are closed when given back.
    func close() {
        let idle = state.withLockedValue { state -> [ReadLease] in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        for lease in idle { try? lease.handle.close() }
    }
}

/// A pooled descriptor lent to one read result at a time.
///
/// A read result remembers its pool and the `generation` it was lent under; giving the lease
/// back bumps it, so a result released twice (or after its lease went to another read) cannot
/// give back a handle someone else is using. (The lease does not point at its pool: the pool
/// holds idle leases, and that would be a cycle.)
final class ReadLease: @unchecked Sendable {
    // @unchecked Sendable: `generation` is read and written only under the lock of the pool
    // that lends the lease (in `ReadHandlePool.giveBack(_:generation:)`); `handle` is immutable.
    let handle: NIOFileHandle
    var generation: UInt64 = 0

    init(handle: NIOFileHandle) {
        self.handle = handle
    }
}
