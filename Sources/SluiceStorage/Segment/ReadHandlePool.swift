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

    /// Gives back the first handle of a read result unless that was done before; returns
    /// whether this call did it (and so must give back the result's other handles).
    func giveBack(_ release: ReadRelease) -> Bool {
        let outcome = state.withLockedValue { state -> (first: Bool, kept: Bool) in
            if release.released { return (false, false) }
            release.released = true
            guard !state.closed, state.idle.count < Self.capacity else { return (true, false) }
            state.idle.append(release.handle)
            return (true, true)
        }
        if outcome.first && !outcome.kept { try? release.handle.close() }
        return outcome.first
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

/// Gives a read result's handles back exactly once, however often and from whichever threads
/// `release()` is called.
final class ReadRelease: @unchecked Sendable {
    // @unchecked Sendable: `released` is read and written only under `pool`'s lock (in
    // `ReadHandlePool.giveBack(_:)`); everything else is immutable. No lock of its own: a fetch
    // makes one of these, and a mutex to create and destroy each time cost more than the rest of
    // the release.
    let pool: ReadHandlePool
    let handle: NIOFileHandle
    /// The handles of further regions (reads that span segments), given back by the winner.
    let more: [(ReadHandlePool, NIOFileHandle)]
    var released = false

    init(pool: ReadHandlePool, handle: NIOFileHandle, more: [(ReadHandlePool, NIOFileHandle)] = []) {
        self.pool = pool
        self.handle = handle
        self.more = more
    }

    func release() {
        guard pool.giveBack(self) else { return }
        for (pool, handle) in more { pool.giveBack(handle) }
    }
}
