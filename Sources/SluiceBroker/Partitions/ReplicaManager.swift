import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceBase
import SluiceStorage

/// The broker's handle on a produce request waiting for its answer: the engine parks it in the
/// partition's waiter list as it is (see ``ProduceWaiters``), and hands it back with the answer.
typealias ProducePromise = EventLoopPromise<Result<LogAppendInfo, ApiError>>

/// The replication engine as the broker runs it, with promises as produce tokens.
typealias BrokerReplicaEngine = ReplicaEngine<ProducePromise>
typealias BrokerReplicationEffects = ReplicationEffects<ProducePromise>

/// This node's partition replicas: the replication engine (leaders and followers, see
/// `Replication/`), appends in arrival order per partition, reads off the event loops, the fetch
/// purgatory, the follower fetchers and the AlterPartition sender.
///
/// Appends to one partition are queued on the partition (``ReplicaPartition/enqueue(_:)``) in
/// the order the produce handler submits them — request order per connection, so an idempotent
/// producer's pipelined batches keep their sequence — and run by one appender at a time on the
/// I/O pool. Reads and replication work run on the I/O pool too.
final class ReplicaManager: Sendable {
    /// Appends one appender runs before it carries out their effects (answers, wake-ups).
    static let appendsPerRound = 32

    let logs: any LogDirectory
    let pool: NIOThreadPool
    let purgatory = FetchPurgatory()
    let logger: Logger
    let engine: BrokerReplicaEngine
    let peers: any ReplicationPeers
    let fetchers: ReplicaFetchers
    let alterPartitions: AlterPartitionSender
    private let isrCheck = NIOLockedValueBox<RepeatedTask?>(nil)

    init(logs: any LogDirectory, pool: NIOThreadPool, peers: any ReplicationPeers, localId: Int32,
         config: ReplicationConfig, logger: Logger) {
        self.logs = logs
        self.pool = pool
        self.logger = logger
        self.peers = peers
        let engine = BrokerReplicaEngine(localId: localId, config: config)
        self.engine = engine
        let relay = EffectsRelay()
        self.fetchers = ReplicaFetchers(engine: engine, peers: peers, pool: pool, effects: relay, logger: logger)
        self.alterPartitions = AlterPartitionSender(engine: engine, peers: peers, pool: pool, effects: relay, logger: logger)
        relay.connect(to: self)
    }

    /// Starts the periodic ISR check (every half `replica.lag.time.max.ms`).
    func start() {
        let interval = TimeAmount.milliseconds(engine.config.isrShrinkCheckIntervalMs)
        let task = peers.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            _ = pool.runIfActive(eventLoop: peers.eventLoop) { [self] in
                perform(engine.checkIsr(now: Self.nowMs()))
                failCutOffWaiters()
            }
        }
        isrCheck.withLockedValue { $0 = task }
    }

    /// Without its lease, fails the parked `acks=all` requests of the partitions whose followers
    /// stopped fetching (`BrokerServices.cutOffLeaderError`): they cannot complete, and a producer
    /// waiting for them (librdkafka keeps at most 5 requests in flight) sends nothing that could be
    /// refused. Their NOT_LEADER_OR_FOLLOWER makes it look for the new leader at once instead of
    /// after its `request.timeout.ms`. On the I/O pool (the ISR check's turn).
    private func failCutOffWaiters() {
        guard !peers.holdsLease else { return }
        for partition in engine.allPartitions where partition.isLeaderShrinkingIsr {
            let error = ApiError(.notLeaderOrFollower, """
                This broker is cut off from the controller and the followers of \(partition.topicPartition): \
                another broker leads it now.
                """)
            perform(BrokerReplicationEffects(completions: partition.failWaiters(error)))
        }
    }

    /// Fails `tp`'s parked `acks=all` produce requests with `error`, on the I/O pool (it takes
    /// the partition's lock): for a leader cut off from its followers, whose waiters cannot
    /// complete, so that their answers do not hold the connection's later answers back.
    func failParkedProduces(_ tp: TopicPartition, _ error: ApiError) {
        guard let partition = engine.partition(tp) else { return }
        _ = pool.runIfActive(eventLoop: peers.eventLoop) { [self] in
            perform(BrokerReplicationEffects(completions: partition.failWaiters(error)))
        }
    }

    /// Stops fetching and checking; fails parked produce requests.
    func shutdown() {
        isrCheck.withLockedValue { $0?.cancel(); $0 = nil }
        fetchers.shutdown()
        alterPartitions.shutdown()
        let error = ApiError(.notLeaderOrFollower, "The broker is shutting down.")
        for partition in engine.allPartitions {
            perform(BrokerReplicationEffects(completions: partition.failWaiters(error)))
        }
        purgatory.wakeAll()
    }

    /// Appends one partition's record set as its leader; completes on `eventLoop`, for
    /// `requiredAcks` -1 once the high watermark passes the records (or `timeoutMs` passes:
    /// REQUEST_TIMED_OUT). The log validates the batches; `min.insync.replicas` is checked
    /// against the ISR before anything is written (NOT_ENOUGH_REPLICAS) and again when the records
    /// are committed (NOT_ENOUGH_REPLICAS_AFTER_APPEND). `legacy`: the records are a message set
    /// of format 0 or 1 (Produce v0-2), converted to one batch first.
    ///
    /// Called on an event loop: queues the append on the partition and, when no appender runs
    /// there, starts one on the I/O pool; never waits for I/O.
    ///
    /// `origin` `.coordinator`: the transaction coordinator's markers (control batches), which
    /// clients may not write.
    func append(_ records: ByteBuffer, to tp: TopicPartition, requiredAcks: Int16, timeoutMs: Int64 = 30_000,
                legacy: Bool = false, origin: AppendOrigin = .client,
                on eventLoop: any EventLoop) -> EventLoopFuture<Result<LogAppendInfo, ApiError>> {
        let promise = eventLoop.makePromise(of: Result<LogAppendInfo, ApiError>.self)
        guard let partition = engine.partition(tp) else {
            promise.succeed(.failure(ApiError(.notLeaderOrFollower, "This server is not the leader for \(tp).")))
            return promise.futureResult
        }
        let queued = QueuedAppend(records: legacy ? .messageSet(records) : .batches(records), requiredAcks: requiredAcks,
                                  timeoutMs: timeoutMs, token: promise, origin: origin)
        if partition.enqueue(queued) {
            pool.submit { [self] state in runAppends(on: partition, state) }
        }
        return promise.futureResult
    }

    /// A partition's appender: turns until its queue is empty, carrying out each turn's effects
    /// (answers, fetch wake-ups) and arming the timeouts of the requests it parked.
    private func runAppends(on partition: BrokerReplicaEngine.Partition, _ state: NIOThreadPool.WorkItemState) {
        guard case .active = state else {
            let error = ApiError(.notLeaderOrFollower, "The broker is shutting down.")
            return perform(BrokerReplicationEffects(completions: partition.abandonQueuedAppends(error)))
        }
        while true {
            let round = partition.runQueuedAppends(limit: Self.appendsPerRound, clock: Self.nowMs, wallClock: Posix.nowMs)
            for parked in round.parked { armTimeout(parked, on: partition) }
            perform(round.effects)
            if !round.more { return }
        }
    }

    /// Fails a parked request with REQUEST_TIMED_OUT after its timeout unless the high watermark
    /// (or a leadership change) answers it first; answering it cancels the timer.
    private func armTimeout(_ parked: ParkedProduce<ProducePromise>, on partition: BrokerReplicaEngine.Partition) {
        let future = parked.token.futureResult
        let eventLoop = future.eventLoop
        let timer = eventLoop.scheduleTask(in: .milliseconds(max(0, parked.timeoutMs))) { [self] in
            _ = pool.runIfActive(eventLoop: eventLoop) { [self] in
                if let timedOut = partition.timeOut(waiter: parked.waiterId) {
                    perform(BrokerReplicationEffects(completions: [timedOut]))
                }
            }
        }
        future.whenComplete { _ in timer.cancel() }
    }

    /// Runs blocking work on the I/O pool; the future completes on `eventLoop`.
    func offLoop<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: eventLoop, body)
    }

    /// Replication's clock, in milliseconds: monotonic (ISR lag, `acks=all` deadlines, fetch and
    /// AlterPartition back-offs are intervals; a stepped wall clock must not move them). Record
    /// timestamps use the wall clock (`Posix.nowMs`), passed to appends separately.
    static func nowMs() -> Int64 {
        Int64(Posix.monotonicNs() / 1_000_000)
    }
}
