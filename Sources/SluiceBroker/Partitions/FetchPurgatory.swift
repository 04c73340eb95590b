import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import SluiceStorage

/// Fetches waiting for data (`min_bytes` not reached yet, `max_wait_ms` not over).
///
/// A waiting fetch watches its partitions; consumers wait for the high watermark to move
/// (records become visible when committed), follower replicas for the leader's log end (they
/// read up to it). Each report carries its bytes, and once a fetch has seen at least `minBytes`
/// (counting what was already there) it is woken to read again. The timeout wakes it otherwise.
/// A fetch is woken exactly once, by whichever comes first.
final class FetchPurgatory: Sendable {
    /// What a waiting fetch reads up to, so what must move to wake it.
    enum Kind: Sendable {
        /// A consumer: the high watermark.
        case highWatermark
        /// A follower replica: the log end.
        case logEnd
    }

    private struct Waiter {
        var kind: Kind
        var partitions: [TopicPartition]
        var bytes: Int
        var minBytes: Int
        var wake: @Sendable () -> Void
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var nextId: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var byPartition: [TopicPartition: Set<UInt64>] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Parks a fetch until `minBytes` have been appended to `partitions` (counting
    /// `availableBytes`) or `maxWait` passes; `wake` runs once, on any thread.
    ///
    /// `changedSinceRead` is asked once the fetch is registered: an append that landed between
    /// the fetch's first read and its registration was not counted, so if the partitions moved
    /// the fetch is woken at once rather than sleeping through data that is there.
    func wait(for partitions: [TopicPartition], kind: Kind = .highWatermark, availableBytes: Int, minBytes: Int,
              maxWait: TimeAmount,
              on eventLoop: any EventLoop, changedSinceRead: @Sendable () -> Bool,
              wake: @escaping @Sendable () -> Void) {
        let id = state.withLockedValue { state -> UInt64 in
            let id = state.nextId
            state.nextId += 1
            state.waiters[id] = Waiter(kind: kind, partitions: partitions, bytes: availableBytes, minBytes: minBytes, wake: wake)
            for tp in partitions { state.byPartition[tp, default: []].insert(id) }
            return id
        }
        let timeout = eventLoop.scheduleTask(in: maxWait) { [self] () -> Void in
            if let waiter = remove(id) { waiter.wake() }
        }
        let stillWaiting = state.withLockedValue { state -> Bool in
            guard state.waiters[id] != nil else { return false }
            state.waiters[id]!.timeout = timeout
            return true
        }
        if !stillWaiting {
            timeout.cancel()
        } else if changedSinceRead(), let waiter = remove(id) {
            timeout.cancel()
            waiter.wake()
        }
    }

    /// Reports `bytes` appended to the leader's log of `tp`: wakes follower fetches that now
    /// have enough.
    func appended(_ bytes: Int, to tp: TopicPartition) {
        report(bytes, to: tp, kind: .logEnd)
    }

    /// Reports `bytes` committed in `tp` (the high watermark moved): wakes consumer fetches that
    /// now have enough.
    func committed(_ bytes: Int, to tp: TopicPartition) {
        report(bytes, to: tp, kind: .highWatermark)
    }

    private func report(_ bytes: Int, to tp: TopicPartition, kind: Kind) {
        let ready = state.withLockedValue { state -> [Waiter] in
            guard let ids = state.byPartition[tp] else { return [] }
            var ready: [Waiter] = []
            for id in ids where state.waiters[id]!.kind == kind {
                state.waiters[id]!.bytes += bytes
                if state.waiters[id]!.bytes >= state.waiters[id]!.minBytes, let waiter = Self.remove(id, from: &state) {
                    ready.append(waiter)
                }
            }
            return ready
        }
        for waiter in ready {
            waiter.timeout?.cancel()
            waiter.wake()
        }
    }

    /// Wakes every waiting fetch (shutdown).
    func wakeAll() {
        let all = state.withLockedValue { state -> [Waiter] in
            let all = Array(state.waiters.values)
            state = State()
            return all
        }
        for waiter in all {
            waiter.timeout?.cancel()
            waiter.wake()
        }
    }

    private func remove(_ id: UInt64) -> Waiter? {
        state.withLockedValue { Self.remove(id, from: &$0) }
    }

    private static func remove(_ id: UInt64, from state: inout State) -> Waiter? {
        guard let waiter = state.waiters.removeValue(forKey: id) else { return nil }
        for tp in waiter.partitions {
            state.byPartition[tp]?.remove(id)
            if state.byPartition[tp]?.isEmpty == true { state.byPartition[tp] = nil }
        }
        return waiter
    }
}
