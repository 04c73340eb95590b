import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// The producer's buffer: one queue of batches per partition, filled by `send` and drained by
/// the ``Sender``.
///
/// One lock protects all of it; every section under the lock is short and never suspends
/// (compression and network IO happen outside). Appending a record costs a dictionary lookup and
/// a copy of its bytes into the open batch. Batches of a partition leave in order; a batch that
/// fails with a retriable error goes back to the front of its queue, in creation order, and the
/// partition sends nothing more until everything it had in flight has come back, so retries keep
/// the records' order (with idempotence, sequence numbers let the broker enforce it).
final class RecordAccumulator: Sendable {
    struct PartitionQueue: Sendable {
        /// Closed batches (full, or put back for a retry), oldest first; they go before `open`.
        var batches = CircularBuffer<ProducerBatch>(initialCapacity: 4)
        /// The batch records are appended to, kept apart so that appending edits it in place.
        var open: ProducerBatch?
        var inFlight = 0
        var nextSequence: Int32 = 0
        var resendPending = false
        /// The last sequence number the partition's leader acknowledged (-1: none yet).
        /// Acknowledgements of one partition come in sequence order: the broker enforces it.
        var lastAckedSequence: Int32 = -1
    }

    struct State: Sendable {
        var partitions: [TopicPartition: PartitionQueue] = [:]
        var bufferedBytes = 0
        var memoryWaiters: [CheckedContinuation<Void, Error>] = []
        var nextBatchId: UInt64 = 1
        var incomplete: Set<UInt64> = []
        var flushTarget: UInt64 = 0
        var flushWaiters: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var sticky: [String: Int32] = [:]
        var nodeInFlight: [Int32: Int] = [:]
        var closing = false
        var senderWaiter: CheckedContinuation<Void, Never>?
        var wakePending = false
        var unobservedError: KafkaClientError?
        var producerId: Int64 = -1
        var producerEpoch: Int16 = -1
    }

    /// A batch handed to the sender, with the sequence number to seal it with (when it is new).
    struct Drained: Sendable {
        var batch: ProducerBatch
        var baseSequence: Int32
    }

    struct DrainPlan: Sendable {
        var requests: [Int32: [Drained]] = [:]
        var expired: [ProducerBatch] = []
        var leaderUnknown: Set<String> = []
        var nextDeadline: UInt64?
        var idle = false
    }

    let configuration: ProducerConfiguration
    let state = NIOLockedValueBox(State())
    let allocator = ByteBufferAllocator()
    private let lingerNanos: UInt64
    private let deliveryTimeoutNanos: UInt64

    init(configuration: ProducerConfiguration) {
        self.configuration = configuration
        self.lingerNanos = UInt64(max(0, configuration.linger.nanoseconds))
        self.deliveryTimeoutNanos = UInt64(max(0, configuration.deliveryTimeout.nanoseconds))
    }

    func setProducerIdentity(id: Int64, epoch: Int16) {
        state.withLockedValue {
            $0.producerId = id
            $0.producerEpoch = epoch
        }
    }

    // MARK: Appending

    /// Appends a record when there is buffer room (or `force`); returns false when the caller must
    /// wait for memory first. `partitionCount` serves the sticky choice for records without a
    /// partition (nil `partition`).
    func append(topic: String, partition: Int32?, partitionCount: Int, key: ByteBuffer?, value: ByteBuffer?,
                headers: [RecordHeader], timestamp: Int64, delivery: DeliveryTarget?, force: Bool) throws -> Bool {
        let size = ProducerBatch.encodedSize(key: key, value: value, headers: headers, offsetDelta: 0, timestampDelta: 0).total
        let batchSize = configuration.batchSize
        let outcome: (appended: Bool, waiter: CheckedContinuation<Void, Never>?) = try state.withLockedValue { s in
            guard !s.closing else { throw KafkaClientError(.closed, "the producer is closed") }
            if !force && s.bufferedBytes > 0 && s.bufferedBytes + size > configuration.bufferMemory {
                return (false, nil)
            }
            var tp: TopicPartition
            if let partition {
                tp = TopicPartition(topic, partition)
            } else {
                let count = Int32(max(partitionCount, 1))
                let index = s.sticky[topic].map { $0 % count } ?? Int32.random(in: 0..<count)
                tp = TopicPartition(topic, index)
                if count > 1 && !Self.openBatchHasRoom(s.partitions[tp], size: size, limit: batchSize) {
                    // Kafka's sticky partitioner: a null-key record that would open a new batch
                    // moves on to the next partition instead.
                    tp.partition = (index + 1) % count
                }
                s.sticky[topic] = tp.partition
            }
            var wake = false
            var written: Int
            if let (w, full) = Self.appendToOpen(&s.partitions[tp, default: PartitionQueue()], size: size, limit: batchSize,
                                                 key: key, value: value, headers: headers, timestamp: timestamp, delivery: delivery) {
                written = w
                wake = full
            } else {
                let id = s.nextBatchId
                s.nextBatchId += 1
                var batch = ProducerBatch(id: id, topicPartition: tp, capacity: max(batchSize, size + RecordBatch.headerSize),
                                          allocator: allocator, now: monotonicNanos())
                written = batch.append(key: key, value: value, headers: headers, timestamp: timestamp, delivery: delivery)
                Self.edit(&s.partitions[tp]!) { queue in
                    if let full = queue.open { queue.batches.append(full) }
                    queue.open = batch
                }
                s.incomplete.insert(id)
                wake = true
            }
            s.bufferedBytes += written
            return (true, wake ? Self.takeSenderWakeup(&s) : nil)
        }
        outcome.waiter?.resume()
        return outcome.appended
    }

    private static func openBatchHasRoom(_ queue: PartitionQueue?, size: Int, limit: Int) -> Bool {
        guard let open = queue?.open else { return false }
        return open.hasRoom(for: size, limit: limit)
    }

    /// Appends to the open batch in place when it has room: the bytes written and whether the
    /// batch is now full; nil when a new batch is needed.
    @inline(__always)
    private static func appendToOpen(_ queue: inout PartitionQueue, size: Int, limit: Int, key: ByteBuffer?, value: ByteBuffer?,
                                     headers: [RecordHeader], timestamp: Int64, delivery: DeliveryTarget?) -> (Int, Bool)? {
        guard queue.open?.hasRoom(for: size, limit: limit) == true else { return nil }
        let written = queue.open!.append(key: key, value: value, headers: headers, timestamp: timestamp, delivery: delivery)
        return (written, queue.open!.sizeInBytes >= limit)
    }

    /// Waits until `size` more bytes fit in the buffer (or it is empty).
    func waitForMemory(size: Int) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            let ready: Result<Void, Error>? = state.withLockedValue { s in
                if s.closing { return .failure(KafkaClientError(.closed, "the producer is closed")) }
                if s.bufferedBytes == 0 || s.bufferedBytes + size <= configuration.bufferMemory { return .success(()) }
                s.memoryWaiters.append(c)
                return nil
            }
            if let ready { c.resume(with: ready) }
        }
    }

    // MARK: Flushing and closing

    /// Waits until every batch created so far has been acknowledged or has failed.
    func flush() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = state.withLockedValue { s in
                let target = s.nextBatchId - 1
                if s.incomplete.isEmpty || s.incomplete.min()! > target { return true }
                s.flushTarget = max(s.flushTarget, target)
                s.flushWaiters.append((target, c))
                return false
            }
            if resumeNow { c.resume() } else { wakeSender() }
        }
    }

    /// The first failure of a record nobody was waiting on, since the last call.
    func takeUnobservedError() -> KafkaClientError? {
        state.withLockedValue { s in
            defer { s.unobservedError = nil }
            return s.unobservedError
        }
    }

    /// Stops accepting records; everything buffered is sent without lingering.
    func beginClose() {
        let waiters: [CheckedContinuation<Void, Error>] = state.withLockedValue { s in
            s.closing = true
            defer { s.memoryWaiters.removeAll() }
            return s.memoryWaiters
        }
        for w in waiters { w.resume(throwing: KafkaClientError(.closed, "the producer is closed")) }
        wakeSender()
    }

    // MARK: The sender's side

    /// Takes the batches that are ready to go, grouped by leader, and the batches that expired.
    func drain(now: UInt64, leaderOf: (TopicPartition) -> Int32?) -> DrainPlan {
        state.withLockedValue { s in
            var plan = DrainPlan()
            var requestBytes: [Int32: Int] = [:]
            let maxInFlight = configuration.maxInFlightRequestsPerConnection
            for tp in Array(s.partitions.keys) {
                let flushTarget = s.flushTarget
                let closing = s.closing
                let nodeInFlight = s.nodeInFlight
                // Edit the queue in place: a copy would make every batch buffer shared, so the next
                // append would copy it.
                Self.edit(&s.partitions[tp]!) { queue in
                    let headIsOpen = queue.batches.isEmpty
                    guard let head = queue.batches.first ?? queue.open else { return }
                    if queue.resendPending {
                        if queue.inFlight > 0 { return }
                        queue.resendPending = false
                    }
                    // Kafka's delivery.timeout.ms: a batch waiting to be sent, or re-sent, expires.
                    if head.createdAt &+ deliveryTimeoutNanos < now {
                        plan.expired.append(Self.takeHead(&queue))
                        return
                    }
                    let lingerDeadline = head.createdAt &+ lingerNanos
                    // A closed batch is full (a newer one took the next record): ready.
                    var ready = !headIsOpen || head.sizeInBytes >= configuration.batchSize
                        || now >= lingerDeadline || head.id <= flushTarget || closing || head.attempts > 0
                    var deadline = lingerDeadline
                    if head.attempts > 0 && now < head.retryNotBefore {
                        ready = false
                        deadline = head.retryNotBefore
                    }
                    guard ready else {
                        plan.nextDeadline = min(plan.nextDeadline ?? deadline, deadline)
                        return
                    }
                    guard let leader = leaderOf(tp) else {
                        plan.leaderUnknown.insert(tp.topic)
                        return
                    }
                    if plan.requests[leader] == nil && (nodeInFlight[leader] ?? 0) >= maxInFlight { return }
                    if configuration.idempotence && queue.inFlight >= 5 { return }
                    let size = head.sealed?.readableBytes ?? head.sizeInBytes
                    if let used = requestBytes[leader], used + size > configuration.maxRequestSize { return }
                    var batch = Self.takeHead(&queue)
                    var sequence: Int32 = -1
                    if !batch.isSealed && configuration.idempotence {
                        sequence = queue.nextSequence
                        // Sequence numbers wrap to 0 after Int32.max, as Kafka's do.
                        let next = Int64(queue.nextSequence) + Int64(batch.recordCount)
                        queue.nextSequence = Int32(next > Int64(Int32.max) ? next - Int64(Int32.max) - 1 : next)
                    }
                    batch.attempts += 1
                    queue.inFlight += 1
                    plan.requests[leader, default: []].append(Drained(batch: batch, baseSequence: sequence))
                    requestBytes[leader, default: 0] += size
                }
            }
            for node in plan.requests.keys { s.nodeInFlight[node, default: 0] += 1 }
            plan.idle = plan.requests.isEmpty && plan.expired.isEmpty
                && s.partitions.values.allSatisfy { $0.batches.isEmpty && $0.open == nil && $0.inFlight == 0 }
            return plan
        }
    }

    /// Removes the oldest batch: the first closed one, else the open one.
    private static func takeHead(_ queue: inout PartitionQueue) -> ProducerBatch {
        if !queue.batches.isEmpty { return queue.batches.removeFirst() }
        defer { queue.open = nil }
        return queue.open!
    }

    @inline(__always)
    private static func edit<R>(_ queue: inout PartitionQueue, _ body: (inout PartitionQueue) -> R) -> R {
        body(&queue)
    }

    /// The sender finished a request to `node`.
    func requestDone(node: Int32) {
        state.withLockedValue { s in s.nodeInFlight[node, default: 1] -= 1 }
        wakeSender()
    }

    /// Records a batch's final outcome and tells its waiters.
    ///
    /// The batch's deliveries are told before it leaves `incomplete`: a flush that another
    /// batch's completion wakes must find every earlier batch's callbacks already run (two
    /// batches can finish at once on different threads).
    func finish(_ batch: ProducerBatch, inFlight: Bool = true,
                _ result: Result<(baseOffset: Int64, logAppendTime: Int64), KafkaClientError>) {
        state.withLockedValue { s in
            if inFlight { s.partitions[batch.topicPartition]?.inFlight -= 1 }
            if case let .failure(error) = result, batch.deliveries.count < Int(batch.recordCount), s.unobservedError == nil {
                s.unobservedError = error
            }
            // Answers from an old and a new leader may cross: the acknowledged sequence only advances.
            if case .success = result, batch.baseSequence >= 0, let acked = s.partitions[batch.topicPartition]?.lastAckedSequence {
                let last = Self.sequence(batch.baseSequence, plus: batch.recordCount - 1)
                if acked < 0 || Self.isLater(last, than: acked) {
                    s.partitions[batch.topicPartition]?.lastAckedSequence = last
                }
            }
        }
        batch.complete(result)
        let (memory, flushes): ([CheckedContinuation<Void, Error>], [CheckedContinuation<Void, Never>]) = state.withLockedValue { s in
            Self.forget(batch, in: &s)
            return Self.takeWaiters(&s)
        }
        for m in memory { m.resume() }
        for f in flushes { f.resume() }
    }

    /// Puts a batch that failed with a retriable error back in its queue, in order, or returns
    /// false when it has no attempts left (the caller then fails it).
    func requeue(_ batch: ProducerBatch, error: KafkaClientError, now: UInt64) -> Bool {
        state.withLockedValue { s in
            guard var queue = s.partitions.removeValue(forKey: batch.topicPartition) else { return false }
            defer { s.partitions[batch.topicPartition] = queue }
            let outOfTime = batch.createdAt &+ deliveryTimeoutNanos < now
            // OUT_OF_ORDER_SEQUENCE_NUMBER is expected for the batches behind one being retried,
            // and for a batch that overtook earlier ones still unanswered (sent to a new leader
            // while they were in flight to the old one): they will fill the gap.
            let retriable = error.isRetriable || (error.errorCode == .outOfOrderSequenceNumber
                && (queue.resendPending || Self.isAfterGap(batch.baseSequence, lastAcked: queue.lastAckedSequence)))
            guard retriable, batch.attempts <= configuration.retries, !outOfTime else { return false }
            queue.inFlight -= 1
            var retried = batch
            retried.retryNotBefore = now &+ UInt64(max(0, configuration.retryBackoff.nanoseconds))
            let position = queue.batches.firstIndex { $0.id > batch.id } ?? queue.batches.endIndex
            queue.batches.insert(retried, at: position)
            queue.resendPending = true
            return true
        }
    }

    /// Seals a drained batch (outside the lock: compression may take a while).
    func seal(_ drained: inout Drained) throws {
        guard !drained.batch.isSealed else { return }
        let (id, epoch) = state.withLockedValue { ($0.producerId, $0.producerEpoch) }
        try drained.batch.seal(compression: configuration.compression,
                               producerId: configuration.idempotence ? id : -1,
                               producerEpoch: configuration.idempotence ? epoch : -1,
                               baseSequence: drained.baseSequence, allocator: allocator)
    }

    /// Waits until there may be work: a wakeup, or `deadline` (monotonic nanoseconds).
    func waitForWork(deadline: UInt64?, eventLoop: EventLoop) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = state.withLockedValue { s in
                if s.wakePending {
                    s.wakePending = false
                    return true
                }
                s.senderWaiter = c
                return false
            }
            if resumeNow {
                c.resume()
                return
            }
            if let deadline {
                let now = monotonicNanos()
                let delay = deadline > now ? Int64(deadline - now) : 0
                eventLoop.scheduleTask(in: .nanoseconds(delay)) { [self] in wakeSender() }
            }
        }
    }

    /// Wakes the sender (or makes its next wait return at once).
    func wakeSender() {
        let waiter = state.withLockedValue { Self.takeSenderWakeup(&$0) }
        waiter?.resume()
    }

    var isClosing: Bool { state.withLockedValue { $0.closing } }

    // MARK: Sequence numbers (they wrap to 0 after Int32.max, as Kafka's do)

    static func sequence(_ base: Int32, plus count: Int32) -> Int32 {
        Int32((Int64(base) + Int64(count)) % (Int64(Int32.max) + 1))
    }

    /// Whether a batch starting at `base` comes after the next expected sequence: some earlier
    /// batch is still unacknowledged (Kafka's client retries OUT_OF_ORDER_SEQUENCE_NUMBER then).
    /// A batch at or before the next expected one gets no retry: nothing earlier can fill a gap.
    static func isAfterGap(_ base: Int32, lastAcked: Int32) -> Bool {
        base >= 0 && isLater(base, than: sequence(lastAcked, plus: 1))
    }

    /// Whether sequence `a` comes after `b`, less than half the sequence space ahead (wrapping).
    static func isLater(_ a: Int32, than b: Int32) -> Bool {
        let modulus = Int64(Int32.max) + 1
        let distance = ((Int64(a) - Int64(b)) % modulus + modulus) % modulus
        return distance > 0 && distance < modulus / 2
    }

    // MARK: Helpers (under the lock)

    private static func takeSenderWakeup(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        if let waiter = s.senderWaiter {
            s.senderWaiter = nil
            return waiter
        }
        s.wakePending = true
        return nil
    }

    private static func forget(_ batch: ProducerBatch, in s: inout State) {
        s.bufferedBytes -= batch.sizeInBytes - RecordBatch.headerSize
        s.incomplete.remove(batch.id)
    }

    private static func takeWaiters(_ s: inout State) -> ([CheckedContinuation<Void, Error>], [CheckedContinuation<Void, Never>]) {
        // Memory waiters re-check for room when they wake.
        let memory = s.memoryWaiters
        s.memoryWaiters.removeAll()
        var flushes: [CheckedContinuation<Void, Never>] = []
        if !s.flushWaiters.isEmpty {
            let oldest = s.incomplete.min() ?? UInt64.max
            var remaining: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
            for waiter in s.flushWaiters {
                if waiter.target < oldest { flushes.append(waiter.continuation) } else { remaining.append(waiter) }
            }
            s.flushWaiters = remaining
        }
        return (memory, flushes)
    }
}
