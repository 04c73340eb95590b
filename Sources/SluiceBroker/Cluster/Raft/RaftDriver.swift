import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SluiceRaft

/// Runs a ``RaftNode`` for real: ticks on a timer, messages from the network, persistence in a
/// ``DiskRaftStore`` before anything is sent or applied, and messages out through a
/// ``RaftTransport``.
///
/// Two serial dispatch queues, as Kafka runs `KafkaRaftClient` and the controller on threads of
/// their own:
/// - the **Raft queue** (here) does only Raft: ticks, peers' requests and responses, appending
///   proposals, persisting (fsync: never an event loop). Each job takes `lock` for its whole run,
///   and every mutable property below is touched only with `lock` held — that is what makes the
///   class Sendable.
/// - the **application queue** (``RaftApplicationQueue``) replays committed entries and runs the
///   controller. The Raft queue hands it entries, snapshots and leader changes in log order and
///   never waits for it; the controller proposes through ``propose(_:epoch:)`` (a
///   ``ProposalQueue``), which never waits for the Raft queue.
///
/// So no controller work — placing 10,000 partitions, replaying them — delays a tick, a fetch
/// answer or a vote, and Raft's timeouts measure time, not the controller's progress.
final class RaftDriver: @unchecked Sendable {
    let nodeID: Int32
    let tickMs: Int
    let logger: Logger
    private let lock = NIOLock()
    private let queue: DispatchQueue
    private let applicationQueue: RaftApplicationQueue
    private let proposals = ProposalQueue()
    private var timer: (any DispatchSourceTimer)?
    // Guarded by `lock`:
    private var node: RaftNode
    private let store: DiskRaftStore
    private var pending: [PendingKey: EventLoopPromise<RaftMessage>] = [:]
    private var transport: RaftTransport?
    private var failed = false
    private var stopped = false
    /// Ticks given to the node so far (it is owed one per `tickMs` since `startTime`).
    private var ticksDone: Int64 = 0
    /// Time spent persisting in the current job (for the slow-job warning).
    private var persistNanos: UInt64 = 0
    /// Read without the driver lock by handlers that only need to know the leader.
    private let leaderBox = NIOLockedValueBox(LeaderAndEpoch(leaderID: nil, epoch: 0))
    private let startTime = DispatchTime.now()
    /// Called once if persisting fails: the node cannot continue safely.
    private let onFatalError: @Sendable (String) -> Void

    /// The most ticks one timer firing catches up after the Raft queue was held up (a long fsync, a
    /// starved process): the rest follow on the next firings, so that messages that arrived
    /// meanwhile are handled before timeouts they would have prevented fire.
    static let maxCatchUpTicks: Int64 = 5

    /// The ticks to give now: one per `tickMs` since the start not given yet, at most
    /// ``maxCatchUpTicks``.
    static func ticksDue(nowMs: Int64, tickMs: Int, given: Int64) -> Int64 {
        min(max(0, nowMs / Int64(max(1, tickMs)) - given), maxCatchUpTicks)
    }

    private struct PendingKey: Hashable {
        var peer: Int32
        var correlationID: Int32
    }

    init(config: RaftConfig, store: DiskRaftStore, tickMs: Int, logger: Logger,
         onFatalError: @escaping @Sendable (String) -> Void) throws {
        self.nodeID = config.nodeID
        self.tickMs = tickMs
        self.logger = logger
        self.store = store
        self.onFatalError = onFatalError
        self.node = try RaftNode(config: config, persisted: try store.load())
        self.queue = DispatchQueue(label: "sluice.raft.\(config.nodeID)")
        self.applicationQueue = RaftApplicationQueue(label: "sluice.metadata.\(config.nodeID)", tickMs: tickMs, logger: logger)
    }

    /// Starts ticking. `application` gets the state from the snapshot and the committed log.
    func start(application: any RaftApplication, transport: RaftTransport) {
        applicationQueue.start(application, driver: self)
        lock.withLock {
            self.transport = transport
            // Time starts now for the node (not when it was loaded).
            ticksDone = nowMs / Int64(tickMs)
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .milliseconds(tickMs), leeway: .milliseconds(max(1, tickMs / 5)))
        timer.setEventHandler { [weak self] in self?.tick() }
        self.timer = timer
        timer.resume()
    }

    /// Resigns leadership (if held) and gives the voters a moment to hear it, then stops. Both
    /// steps run on the driver's queue (they take `lock`, which a job holds across its fsyncs);
    /// the moment is a delay on that queue, so the caller (a task on the cooperative pool) waits
    /// without holding a thread. The application hears last that there is no leader.
    func stop() async {
        let resigned = await onQueue { [self] in
            lock.withLock { () -> Bool in
                guard !stopped else { return false }
                // A single voter has nobody to hand over to: it simply stops.
                let wasLeader = node.role == .leader && node.voters.count > 1
                if wasLeader { node.resign() }
                drive()
                return wasLeader
            }
        }
        // Let EndQuorumEpoch reach the voters before the driver stops.
        let epoch = await onQueue(after: resigned ? .milliseconds(50) : .nanoseconds(0)) { [self] in
            let (timer, epoch) = lock.withLock { () -> ((any DispatchSourceTimer)?, Int32) in
                stopped = true
                for promise in pending.values { promise.fail(PeerConnectionError("shutting down")) }
                pending.removeAll()
                proposals.sync(leaderEpoch: nil, logEnd: 0)
                return (self.timer, node.quorum.epoch)
            }
            // On the queue: no tick runs after this.
            timer?.cancel()
            return epoch
        }
        // No longer anyone's controller: requests waiting for a commit are answered NOT_CONTROLLER
        // rather than never.
        await applicationQueue.stop { [self] application in
            application.leaderChanged(LeaderAndEpoch(leaderID: nil, epoch: epoch), driver: self)
        }
    }

    /// Runs `body` on the driver's queue (after `delay`) and returns its result.
    private func onQueue<T: Sendable>(after delay: DispatchTimeInterval = .nanoseconds(0),
                                      _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.asyncAfter(deadline: .now() + delay) { continuation.resume(returning: body()) }
        }
    }

    var nowMs: Int64 { Int64((DispatchTime.now().uptimeNanoseconds - startTime.uptimeNanoseconds) / 1_000_000) }

    /// The leader as this node last knew it (cheap; no driver lock).
    var leader: LeaderAndEpoch { leaderBox.withLockedValue { $0 } }

    /// Whether this node leads `epoch` (any thread; no driver lock).
    func isLeader(epoch: Int32) -> Bool { proposals.isOpen(epoch: epoch) }

    // MARK: For the application (any thread; the application queue in practice)

    /// Runs `body` on the application queue (the controller's requests); `ifStopped` instead when
    /// the driver has stopped (so that a caller's promise is answered).
    func submit(_ body: @escaping @Sendable (RaftDriver) -> Void, ifStopped: (@Sendable () -> Void)? = nil) {
        applicationQueue.submit({ [self] in body(self) }, ifStopped: ifStopped)
    }

    /// Proposes metadata batches as consecutive entries of `epoch` (leader only) and returns where
    /// they go; each is committed once an entry with that offset and epoch is applied. Never waits
    /// for the Raft queue: the batches are appended there next.
    func propose(_ payloads: [[UInt8]], epoch: Int32) throws(RaftError) -> [OffsetAndEpoch] {
        // No driver lock here: the application queue never waits for an fsync on the Raft queue.
        let (positions, wasEmpty) = try proposals.append(payloads, epoch: epoch)
        if wasEmpty { queue.async { [self] in appendProposals() } }
        return positions
    }

    /// Snapshots the application's state after every entry below `endOffset` (on the Raft queue,
    /// later; refused with a warning if the log has moved past it meanwhile).
    func takeSnapshot(endOffset: Int64, data: [UInt8]) {
        queue.async { [self] in
            lock.withLock {
                guard !stopped, !failed else { return }
                do {
                    try node.takeSnapshot(endOffset: endOffset, data: data)
                    logger.info("metadata snapshot at offset \(endOffset) (\(data.count) bytes)")
                } catch {
                    logger.warning("metadata snapshot at \(endOffset) not taken: \(error)")
                }
                drive()
            }
        }
    }

    /// The core's status, read on the Raft queue (its lock is held across fsyncs, which an event
    /// loop must not wait for).
    func status(on eventLoop: any EventLoop) -> EventLoopFuture<RaftStatus> {
        let promise = eventLoop.makePromise(of: RaftStatus.self)
        queue.async { [self] in
            let status = lock.withLock { stopped ? nil : node.status }
            if let status {
                promise.succeed(status)
            } else {
                promise.fail(PeerConnectionError("the quorum driver is stopped"))
            }
        }
        return promise.futureResult
    }

    // MARK: Inputs (Raft queue)

    /// The node is owed one tick per `tickMs` of the monotonic clock, whenever the timer actually
    /// fires (a busy machine delays and merges firings; the node's time must not slow down with it).
    private func tick() {
        job("tick") {
            guard !stopped, !failed else { return }
            for _ in 0..<Self.ticksDue(nowMs: nowMs, tickMs: tickMs, given: ticksDone) {
                node.tick()
                ticksDone += 1
            }
            drive()
        }
    }

    private func appendProposals() {
        job("appending proposals") {
            guard !stopped, !failed else { return }
            for proposal in proposals.drain() {
                // Only in the epoch and at the offset it was given; otherwise the leadership has
                // ended since (the controller hears of it and fails the request).
                guard node.role == .leader, node.quorum.epoch == proposal.position.epoch else { continue }
                guard node.log.endOffset == proposal.position.offset else {
                    // Still the leader of that epoch: the offsets handed out and the log disagree.
                    logger.error("proposal for \(proposal.position) dropped: the log ends at \(node.log.endOffset)")
                    continue
                }
                do {
                    try node.propose(proposal.payload)
                } catch {
                    logger.debug("proposal at \(proposal.position) dropped: \(error)")
                }
            }
            drive()
        }
    }

    /// The connection to `peer` broke or was refused (not a timeout): the core treats it as a hint
    /// that the peer is gone (``RaftNode/peerUnreachable(_:)``: a follower of it elects sooner).
    func peerUnreachable(_ peer: Int32) {
        queue.async { [self] in
            job("node \(peer) unreachable") {
                guard !stopped, !failed else { return }
                node.peerUnreachable(peer)
                drive()
            }
        }
    }

    /// A response to one of this node's requests arrived.
    func receiveResponse(_ envelope: RaftEnvelope) {
        queue.async { [self] in
            job("a response from node \(envelope.source)") {
                guard !stopped, !failed else { return }
                node.step(envelope)
                drive()
            }
        }
    }

    /// A request from a peer: steps it and completes with the core's answer (on `eventLoop`).
    /// An unanswered request fails after `timeout` (the handler then closes the connection).
    func receiveRequest(from peer: Int32, correlationID: Int32, _ message: RaftMessage,
                        on eventLoop: any EventLoop, timeout: TimeAmount = .seconds(5)) -> EventLoopFuture<RaftMessage> {
        let promise = eventLoop.makePromise(of: RaftMessage.self)
        let key = PendingKey(peer: peer, correlationID: correlationID)
        queue.async { [self] in
            job("a request from node \(peer)") {
                guard !stopped, !failed else {
                    promise.fail(PeerConnectionError("the quorum driver is stopped"))
                    return
                }
                pending[key]?.fail(PeerConnectionError("superseded by a request with the same correlation id"))
                pending[key] = promise
                node.step(RaftEnvelope(source: peer, destination: nodeID, correlationID: correlationID, message: message))
                drive()
            }
        }
        let timer = eventLoop.scheduleTask(in: timeout) { [weak self] in
            promise.fail(PeerConnectionError("the quorum did not answer \(message) in time"))
            guard let driver = self else { return }
            driver.queue.async {
                driver.lock.withLock { _ = driver.pending.removeValue(forKey: key) }
            }
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    /// Runs one Raft-queue job with the lock held, and says so when it took long enough to
    /// threaten the quorum's timeouts (with how much of it was fsync).
    private func job(_ what: @autoclosure () -> String, _ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        lock.withLock {
            persistNanos = 0
            body()
        }
        let took = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        if took >= Self.slowJobMs {
            let persisting = lock.withLock { persistNanos } / 1_000_000
            logger.warning("metadata quorum: \(what()) took \(took) ms on the Raft queue (\(persisting) ms persisting)")
        }
    }

    /// A Raft-queue job this long is logged (a fifth of the local clusters' fetch timeout).
    static let slowJobMs: UInt64 = 200

    // MARK: The Ready loop

    /// Persist, send, hand over, advance — until the node has nothing more. Lock held.
    private func drive() {
        while !failed && node.hasReady {
            let ready = node.ready()
            let persistStart = DispatchTime.now().uptimeNanoseconds
            do {
                try store.persist(ready.persistence)
                persistNanos += DispatchTime.now().uptimeNanoseconds - persistStart
            } catch {
                failed = true
                logger.critical("persisting the metadata log failed: \(error); this node stops taking part in the quorum")
                onFatalError("persisting the metadata log failed: \(error)")
                return
            }
            for envelope in ready.messages {
                if envelope.message.isRequest {
                    transport?.send(envelope, onUnreachable: { [weak self] peer in self?.peerUnreachable(peer) }) { [weak self] response in
                        self?.receiveResponse(response)
                    }
                } else {
                    let key = PendingKey(peer: envelope.destination, correlationID: envelope.correlationID)
                    pending.removeValue(forKey: key)?.succeed(envelope.message)
                }
            }
            // Handed over in log order; the application queue applies them while Raft goes on.
            if let snapshot = ready.restoreSnapshot {
                applicationQueue.deliver("restoring snapshot \(snapshot.id)") { [self] in $0.restore(snapshot, driver: self) }
            }
            if !ready.committedEntries.isEmpty {
                let entries = ready.committedEntries
                applicationQueue.deliver("applying \(entries.count) entries at \(entries[0].offset)") { [self] in
                    $0.apply(entries, driver: self)
                }
            }
            if let change = ready.leaderChange {
                leaderBox.withLockedValue { $0 = change }
                logger.info("metadata quorum: \(change) (this node is \(node.role))")
            }
            // Proposals continue the log of the epoch this node leads, if any.
            proposals.sync(leaderEpoch: node.role == .leader ? node.quorum.epoch : nil, logEnd: node.log.endOffset)
            if let change = ready.leaderChange {
                applicationQueue.deliver("leader change \(change)") { [self] in $0.leaderChanged(change, driver: self) }
            }
            node.advance(ready)
        }
    }
}
