import NIOConcurrencyHelpers
import NIOCore

/// Duplicated descriptors of one segment file for read results, reused across reads.
///
/// Each read result needs a handle of its own (NIO's `NIOFileHandle` refuses concurrent use),
/// and the handle must outlive the segment (retention may delete it while a fetch is being
/// sent). A dup(2) and a close(2) per fetch cost as much as the fetch of a small batch itself,
/// so released handles come back here and the next read takes one. Once the segment is closed
/// or deleted the pool closes what it holds and every handle given back afterwards.
final class ReadHandlePool: Sendable {
    /// At most this many idle handles are kept per segment.
    static let capacity = 8

    private struct State {
        var idle: [NIOFileHandle] = []
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    deinit { close() }

    /// An idle handle, or a new one from `make`.
    func take(orMake make: () throws -> NIOFileHandle) throws -> NIOFileHandle {
        if let handle = state.withLockedValue({ $0.closed ? nil : $0.idle.popLast() }) { return handle }
        return try make()
    }

    /// Gives a handle back after its read result was released.
    func giveBack(_ handle: NIOFileHandle) {
        let keep = state.withLockedValue { state -> Bool in
            guard !state.closed, state.idle.count < Self.capacity else { return false }
            state.idle.append(handle)
            return true
        }
        if !keep { try? handle.close() }
    }

    /// Closes the idle handles; handles in use are closed when given back.
    func close() {
        let idle = state.withLockedValue { state -> [NIOFileHandle] in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        for handle in idle { try? handle.close() }
    }
}

/// Gives a read result's handles back exactly once, however often `release()` is called.
final class ReadRelease: Sendable {
    private struct Pending {
        var first: (ReadHandlePool, NIOFileHandle)?
        var more: [(ReadHandlePool, NIOFileHandle)]
    }

    private let pending: NIOLockedValueBox<Pending>

    init(first: (ReadHandlePool, NIOFileHandle), more: [(ReadHandlePool, NIOFileHandle)] = []) {
        pending = NIOLockedValueBox(Pending(first: first, more: more))
    }

    func release() {
        let handles = pending.withLockedValue { p -> Pending in
            defer { p = Pending(first: nil, more: []) }
            return p
        }
        if let (pool, handle) = handles.first { pool.giveBack(handle) }
        for (pool, handle) in handles.more { pool.giveBack(handle) }
    }
}
