import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// The records fetched ahead of `poll`, bounded in bytes.
///
/// Fetch loops push chunks (one partition's records from one fetch) and wait while the buffer is
/// over its limit; `poll` takes records in arrival order and waits while it is empty. Every chunk
/// carries the assignment generation it was fetched for: after a rebalance or a seek, chunks of
/// an older generation are dropped rather than delivered.
final class RecordBuffer: Sendable {
    struct Chunk: Sendable {
        var generation: UInt64
        var partition: TopicPartition
        var records: ArraySlice<ConsumerRecord>
        var bytes: Int
    }

    private struct State: Sendable {
        var chunks = CircularBuffer<Chunk>()
        var bytes = 0
        var generation: UInt64 = 0
        var error: KafkaClientError?
        var closed = false
        var pollWaiter: CheckedContinuation<Void, Never>?
        var wakePoll = false
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The current generation; chunks pushed for an older one are ignored.
    var generation: UInt64 { state.withLockedValue { $0.generation } }

    /// Drops everything buffered and starts a new generation (after a rebalance or a seek).
    @discardableResult
    func reset() -> UInt64 {
        let (generation, waiters) = state.withLockedValue { s -> (UInt64, [CheckedContinuation<Void, Never>]) in
            s.chunks.removeAll()
            s.bytes = 0
            s.generation += 1
            s.error = nil
            defer { s.roomWaiters.removeAll() }
            return (s.generation, s.roomWaiters)
        }
        for w in waiters { w.resume() }
        return generation
    }

    /// Adds records fetched for `generation`.
    func push(_ records: [ConsumerRecord], partition: TopicPartition, bytes: Int, generation: UInt64) {
        guard !records.isEmpty else { return }
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            guard generation == s.generation, !s.closed else { return nil }
            s.chunks.append(Chunk(generation: generation, partition: partition, records: records[...], bytes: bytes))
            s.bytes += bytes
            return Self.takePollWaiter(&s)
        }
        waiter?.resume()
    }

    /// Reports an error to the next `poll` (which throws it).
    func fail(_ error: KafkaClientError, generation: UInt64) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            guard generation == s.generation, s.error == nil else { return nil }
            s.error = error
            return Self.takePollWaiter(&s)
        }
        waiter?.resume()
    }

    /// Waits while the buffer holds more than its capacity.
    func waitForRoom() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { s -> Bool in
                if s.bytes < capacity || s.closed { return true }
                s.roomWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Takes up to `max` records, or nil when there are none. Throws a reported error.
    func take(max: Int) throws -> [ConsumerRecord]? {
        let (records, waiters): ([ConsumerRecord]?, [CheckedContinuation<Void, Never>]) = try state.withLockedValue { s in
            if let error = s.error {
                s.error = nil
                throw error
            }
            guard !s.chunks.isEmpty else { return (nil, []) }
            var out: [ConsumerRecord] = []
            out.reserveCapacity(Swift.min(max, 1024))
            while out.count < max, var chunk = s.chunks.first {
                let n = Swift.min(max - out.count, chunk.records.count)
                out.append(contentsOf: chunk.records.prefix(n))
                if n == chunk.records.count {
                    s.chunks.removeFirst()
                    s.bytes -= chunk.bytes
                } else {
                    let share = chunk.bytes * n / chunk.records.count
                    chunk.records = chunk.records.dropFirst(n)
                    chunk.bytes -= share
                    s.bytes -= share
                    s.chunks[s.chunks.startIndex] = chunk
                }
            }
            var waiters: [CheckedContinuation<Void, Never>] = []
            if s.bytes < capacity {
                waiters = s.roomWaiters
                s.roomWaiters.removeAll()
            }
            return (out, waiters)
        }
        for w in waiters { w.resume() }
        return records
    }

    /// Waits until there is something to take, `deadline` passes, or ``wake()`` is called.
    func waitForRecords(until deadline: NIODeadline, eventLoop: EventLoop) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { s -> Bool in
                if !s.chunks.isEmpty || s.error != nil || s.closed || s.wakePoll {
                    s.wakePoll = false
                    return true
                }
                s.pollWaiter = c
                return false
            }
            if now {
                c.resume()
                return
            }
            eventLoop.scheduleTask(deadline: deadline) { [self] in wake() }
        }
    }

    /// Makes a waiting (or the next) `waitForRecords` return.
    func wake() {
        let waiter = state.withLockedValue { Self.takePollWaiter(&$0) }
        waiter?.resume()
    }

    func close() {
        let (poll, room) = state.withLockedValue { s -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            s.closed = true
            defer { s.roomWaiters.removeAll() }
            return (Self.takePollWaiter(&s), s.roomWaiters)
        }
        poll?.resume()
        for w in room { w.resume() }
    }

    private static func takePollWaiter(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        if let w = s.pollWaiter {
            s.pollWaiter = nil
            return w
        }
        s.wakePoll = true
        return nil
    }
}
