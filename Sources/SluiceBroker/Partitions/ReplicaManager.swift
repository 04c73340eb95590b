import Dispatch
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceStorage

/// This node's partition replicas: the replication engine (leaders and followers, see
/// `Replication/`), validated appends in arrival order per partition, reads off the event loops,
/// the fetch purgatory, `acks=all` waiters, the follower fetchers and the AlterPartition sender.
///
/// Appends to one partition run on that partition's serial queue, in the order the produce
/// handler submitted them (which is request order per connection, so an idempotent producer's
/// pipelined batches keep their sequence). Reads and replication work run on the I/O pool.
final class ReplicaManager: Sendable {
    let logs: any LogDirectory
    let pool: NIOThreadPool
    let purgatory = FetchPurgatory()
    let logger: Logger
    let engine: ReplicaEngine
    let peers: any ReplicationPeers
    let waiters = ProducePromises()
    let fetchers: ReplicaFetchers
    let alterPartitions: AlterPartitionSender
    private let queues = NIOLockedValueBox<[TopicPartition: DispatchQueue]>([:])
    private let isrCheck = NIOLockedValueBox<RepeatedTask?>(nil)

    init(logs: any LogDirectory, pool: NIOThreadPool, peers: any ReplicationPeers, localId: Int32,
         config: ReplicationConfig, logger: Logger) {
        self.logs = logs
        self.pool = pool
        self.logger = logger
        self.peers = peers
        let engine = ReplicaEngine(localId: localId, config: config)
        self.engine = engine
        let effects = EffectsSink()
        self.fetchers = ReplicaFetchers(engine: engine, peers: peers, pool: pool, perform: effects.perform, logger: logger)
        self.alterPartitions = AlterPartitionSender(engine: engine, peers: peers, pool: pool, perform: effects.perform,
                                                    logger: logger)
        effects.target.withLockedValue { $0 = self }
    }

    /// Starts the periodic ISR check (every half `replica.lag.time.max.ms`).
    func start() {
        let interval = TimeAmount.milliseconds(engine.config.isrShrinkCheckIntervalMs)
        let task = peers.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            _ = pool.runIfActive(eventLoop: peers.eventLoop) { [self] in perform(engine.checkIsr(now: Self.nowMs())) }
        }
        isrCheck.withLockedValue { $0 = task }
    }

    /// Stops fetching and checking; fails parked produce requests.
    func shutdown() {
        isrCheck.withLockedValue { $0?.cancel(); $0 = nil }
        fetchers.shutdown()
        alterPartitions.shutdown()
        waiters.failAll(ApiError(.notLeaderOrFollower, "The broker is shutting down."))
        purgatory.wakeAll()
    }

    private func queue(for tp: TopicPartition) -> DispatchQueue {
        queues.withLockedValue { queues in
            if let queue = queues[tp] { return queue }
            let queue = DispatchQueue(label: "sluice.append.\(tp)")
            queues[tp] = queue
            return queue
        }
    }

    /// Validates and appends one partition's record set as its leader; completes on
    /// `eventLoop`, for `requiredAcks` -1 once the high watermark passes the records (or
    /// `timeoutMs` passes: REQUEST_TIMED_OUT). `min.insync.replicas` is checked against the ISR
    /// before anything is written (NOT_ENOUGH_REPLICAS) and again when the records are committed
    /// (NOT_ENOUGH_REPLICAS_AFTER_APPEND). `legacy`: the records are a message set of format 0
    /// or 1 (Produce v0-2), converted to one batch first.
    func append(_ records: ByteBuffer, to tp: TopicPartition, requiredAcks: Int16, timeoutMs: Int64 = 30_000,
                legacy: Bool = false, on eventLoop: any EventLoop) -> EventLoopFuture<Result<LogAppendInfo, ApiError>> {
        let promise = eventLoop.makePromise(of: Result<LogAppendInfo, ApiError>.self)
        queue(for: tp).async { [self] in
            var records = records
            if legacy {
                do {
                    records = try LegacyMessageSet.upConvert(records).bytes
                } catch let error as ApiError {
                    return promise.succeed(.failure(error))
                } catch {
                    return promise.succeed(.failure(ApiError(.corruptMessage, "\(error)")))
                }
            }
            appendNow(records, to: tp, requiredAcks: requiredAcks, timeoutMs: timeoutMs, promise: promise, on: eventLoop)
        }
        return promise.futureResult
    }

    private func appendNow(_ records: ByteBuffer, to tp: TopicPartition, requiredAcks: Int16, timeoutMs: Int64,
                           promise: EventLoopPromise<Result<LogAppendInfo, ApiError>>, on eventLoop: any EventLoop) {
        guard let partition = engine.partition(tp) else {
            let code: ErrorCode = logs.log(for: tp) == nil ? .unknownTopicOrPartition : .notLeaderOrFollower
            return promise.succeed(.failure(ApiError(code, "This server is not the leader for \(tp).")))
        }
        var batches: [RecordBatch]
        do {
            batches = try RecordBatchSequence.wholeBatches(records)
            try BatchValidation.validate(batches, maxMessageBytes: Int(partition.log.config.maxMessageBytes))
            batches = try batches.map(BatchValidation.repairingMaxTimestamp)
        } catch let error as ApiError {
            return promise.succeed(.failure(error))
        } catch {
            return promise.succeed(.failure(ApiError(.corruptMessage, "\(error)")))
        }
        let waiter = waiters.register(promise)
        let (outcome, effects) = partition.appendAsLeader(batches, requiredAcks: requiredAcks, waiterId: waiter,
                                                          timeoutMs: timeoutMs, now: Self.nowMs())
        switch outcome {
        case let .failed(error):
            waiters.discard(waiter)
            if error.code == .kafkaStorageError { logger.error("append to \(tp) failed: \(error)") }
            promise.succeed(.failure(error))
        case let .appended(info):
            waiters.discard(waiter)
            promise.succeed(.success(info))
        case let .waiting(info):
            let timer = eventLoop.scheduleTask(in: .milliseconds(max(0, timeoutMs))) { [self] in
                _ = pool.runIfActive(eventLoop: eventLoop) { [self] in
                    if partition.timeOut(waiter: waiter) != nil {
                        waiters.complete(waiter, error: ApiError(.requestTimedOut,
                            "The records were not replicated to the in-sync replicas of \(tp) within \(timeoutMs) ms."))
                    }
                }
            }
            waiters.parked(waiter, info: info, timer: timer)
        }
        perform(effects)
    }

    /// Runs blocking work on the I/O pool; the future completes on `eventLoop`.
    func offLoop<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: eventLoop, body)
    }

    /// Forgets the append queues of deleted partitions.
    func forget(_ tps: [TopicPartition]) {
        queues.withLockedValue { queues in
            for tp in tps { queues[tp] = nil }
        }
    }

    static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// The checks every produced batch passes before it reaches the log; none decompresses.
enum BatchValidation {
    /// Some producers (sarama before 1.24) leave a batch's max timestamp at -1 although its
    /// records carry timestamps; the time index would then never find them. As Kafka does, the
    /// broker computes the real maximum from the records and rewrites the field (and the CRC).
    /// This is the only produce path that decodes records, and only for such batches.
    static func repairingMaxTimestamp(_ batch: RecordBatch) throws -> RecordBatch {
        guard batch.maxTimestamp < 0, batch.baseTimestamp >= 0, batch.recordCount > 0,
              batch.attributes.timestampType == .createTime else { return batch }
        let records: [Record]
        do {
            records = try batch.records()
        } catch let error as RecordBatchError {
            throw ApiError(error.errorCode, "\(error)")
        }
        guard let maximum = records.map(\.timestamp).max(), maximum >= 0 else { return batch }
        var bytes = ByteBufferAllocator().buffer(capacity: batch.totalSize)
        bytes.writeImmutableBuffer(batch.bytes)
        bytes.setInteger(maximum, at: 35)  // maxTimestamp
        let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        bytes.setInteger(crc, at: 17)
        return try RecordBatch(bytes: bytes)
    }

    static func validate(_ batches: [RecordBatch], maxMessageBytes: Int) throws {
        if batches.isEmpty {
            throw ApiError(.invalidRecord, "Produce requests must have at least one record batch per partition")
        }
        for batch in batches {
            if batch.totalSize > maxMessageBytes {
                throw ApiError(.messageTooLarge,
                               "The record batch is \(batch.totalSize) bytes, larger than the limit of \(maxMessageBytes) bytes")
            }
            do {
                try batch.validate()
            } catch let error as RecordBatchError {
                throw ApiError(error.errorCode, "\(error)")
            }
            if batch.isControl {
                throw ApiError(.invalidRecord, "Clients cannot produce control batches")
            }
            if batch.isTransactional {
                throw ApiError(.invalidRecord, "Transactional batches are not supported by this broker")
            }
        }
    }
}
