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
/// Everything happens on one serial dispatch queue (a thread of its own, never an event loop:
/// persisting blocks on fsync). Each job takes `lock` for its whole run, and every mutable
/// property below is touched only with `lock` held — that is what makes the class Sendable.
/// The application (metadata log, controller) is called from inside those jobs.
final class RaftDriver: @unchecked Sendable {
    let nodeID: Int32
    let tickMs: Int
    let logger: Logger
    private let lock = NIOLock()
    private let queue: DispatchQueue
    private var timer: (any DispatchSourceTimer)?
    // Guarded by `lock`:
    private var node: RaftNode
    private let store: DiskRaftStore
    private var pending: [PendingKey: EventLoopPromise<RaftMessage>] = [:]
    private weak var application: (any RaftApplication)?
    private var transport: RaftTransport?
    private var failed = false
    private var stopped = false
    /// Read without the driver lock by handlers that only need to know the leader.
    private let leaderBox = NIOLockedValueBox(LeaderAndEpoch(leaderID: nil, epoch: 0))
    private let startTime = DispatchTime.now()
    /// Called once if persisting fails: the node cannot continue safely.
    private let onFatalError: @Sendable (String) -> Void

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
    }

    /// Starts ticking. `application` gets the state from the snapshot and the committed log.
    func start(application: any RaftApplication, transport: RaftTransport) {
        lock.withLock {
            self.application = application
            self.transport = transport
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
    /// without holding a thread.
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
        await onQueue(after: resigned ? .milliseconds(50) : .nanoseconds(0)) { [self] in
            let timer = lock.withLock { () -> (any DispatchSourceTimer)? in
                stopped = true
                for promise in pending.values { promise.fail(PeerConnectionError("shutting down")) }
                pending.removeAll()
                // No longer anyone's controller: requests waiting for a commit are answered
                // NOT_CONTROLLER rather than never.
                let epoch = leaderBox.withLockedValue { $0.epoch }
                application?.leaderChanged(LeaderAndEpoch(leaderID: nil, epoch: epoch), driver: self)
                return self.timer
            }
            // On the queue: no tick runs after this.
            timer?.cancel()
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

    /// Runs `body` on the driver's queue with the lock held (for the controller's requests);
    /// `ifStopped` instead when the driver has stopped (so that a caller's promise is answered).
    func submit(_ body: @escaping @Sendable (RaftDriver) -> Void, ifStopped: (@Sendable () -> Void)? = nil) {
        queue.async { [self] in
            let ran = lock.withLock { () -> Bool in
                guard !stopped, !failed else { return false }
                body(self)
                drive()
                return true
            }
            if !ran { ifStopped?() }
        }
    }

    // MARK: Inputs

    private func tick() {
        lock.withLock {
            guard !stopped, !failed else { return }
            node.tick()
            drive()
            application?.tick(nowMs: nowMs, driver: self)
            drive()
        }
    }

    /// A response to one of this node's requests arrived.
    func receiveResponse(_ envelope: RaftEnvelope) {
        queue.async { [self] in
            lock.withLock {
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
            lock.withLock {
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

    // MARK: Calls for the application (lock held, on the queue)

    /// Proposes one metadata batch (leader only). Call from an application callback or `submit`.
    func proposeLocked(_ payload: [UInt8]) throws(RaftError) -> OffsetAndEpoch {
        try node.propose(payload)
    }

    func takeSnapshotLocked(endOffset: Int64, data: [UInt8]) {
        do {
            try node.takeSnapshot(endOffset: endOffset, data: data)
            logger.info("metadata snapshot at offset \(endOffset) (\(data.count) bytes)")
        } catch {
            logger.warning("metadata snapshot at \(endOffset) not taken: \(error)")
        }
    }

    var statusLocked: RaftStatus { node.status }

    // MARK: The Ready loop

    /// Persist, send, apply, advance — until the node has nothing more. Lock held.
    private func drive() {
        while !failed && node.hasReady {
            let ready = node.ready()
            do {
                try store.persist(ready.persistence)
            } catch {
                failed = true
                logger.critical("persisting the metadata log failed: \(error); this node stops taking part in the quorum")
                onFatalError("persisting the metadata log failed: \(error)")
                return
            }
            for envelope in ready.messages {
                if envelope.message.isRequest {
                    transport?.send(envelope) { [weak self] response in self?.receiveResponse(response) }
                } else {
                    let key = PendingKey(peer: envelope.destination, correlationID: envelope.correlationID)
                    pending.removeValue(forKey: key)?.succeed(envelope.message)
                }
            }
            if let snapshot = ready.restoreSnapshot { application?.restore(snapshot, driver: self) }
            if !ready.committedEntries.isEmpty { application?.apply(ready.committedEntries, driver: self) }
            if let change = ready.leaderChange {
                leaderBox.withLockedValue { $0 = change }
                logger.info("metadata quorum: \(change) (this node is \(node.role))")
                application?.leaderChanged(change, driver: self)
            }
            node.advance(ready)
        }
    }
}
