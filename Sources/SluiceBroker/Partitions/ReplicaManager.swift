import Dispatch
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceStorage

/// The partitions this node leads (all of them, on a single node): validated appends in
/// arrival order per partition, reads off the event loops, and the fetch purgatory that
/// appends wake.
///
/// Appends to one partition run on that partition's serial queue, in the order the produce
/// handler submitted them (which is request order per connection, so an idempotent producer's
/// pipelined batches keep their sequence). Reads run on the I/O thread pool.
final class ReplicaManager: Sendable {
    let logs: any LogDirectory
    let pool: NIOThreadPool
    let purgatory = FetchPurgatory()
    let logger: Logger
    private let queues = NIOLockedValueBox<[TopicPartition: DispatchQueue]>([:])

    init(logs: any LogDirectory, pool: NIOThreadPool, logger: Logger) {
        self.logs = logs
        self.pool = pool
        self.logger = logger
    }

    private func queue(for tp: TopicPartition) -> DispatchQueue {
        queues.withLockedValue { queues in
            if let queue = queues[tp] { return queue }
            let queue = DispatchQueue(label: "sluice.append.\(tp)")
            queues[tp] = queue
            return queue
        }
    }

    /// Validates and appends one partition's record set; completes on `eventLoop`.
    /// `requiredAcks` -1 needs `min.insync.replicas` replicas in sync: more than 1 cannot be
    /// met by a single node (NOT_ENOUGH_REPLICAS, nothing appended).
    /// `legacy`: the records are a message set of format 0 or 1 (Produce v0-2), converted to
    /// one batch first.
    func append(_ records: ByteBuffer, to tp: TopicPartition, leaderEpoch: Int32, requiredAcks: Int16, legacy: Bool = false,
                on eventLoop: any EventLoop) -> EventLoopFuture<Result<LogAppendInfo, ApiError>> {
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
            promise.succeed(appendNow(records, to: tp, leaderEpoch: leaderEpoch, requiredAcks: requiredAcks))
        }
        return promise.futureResult
    }

    private func appendNow(_ records: ByteBuffer, to tp: TopicPartition, leaderEpoch: Int32,
                           requiredAcks: Int16) -> Result<LogAppendInfo, ApiError> {
        guard let log = logs.log(for: tp) else {
            return .failure(ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition."))
        }
        let minInsync = log.config.minInsyncReplicas
        if requiredAcks == -1 && minInsync > 1 {
            return .failure(ApiError(.notEnoughReplicas,
                                     "The size of the current ISR 1 is insufficient to satisfy the min.isr requirement of \(minInsync) for partition \(tp)"))
        }
        var batches: [RecordBatch]
        do {
            batches = try RecordBatchSequence.wholeBatches(records)
            try BatchValidation.validate(batches, maxMessageBytes: Int(log.config.maxMessageBytes))
            batches = try batches.map(BatchValidation.repairingMaxTimestamp)
        } catch let error as ApiError {
            return .failure(error)
        } catch {
            return .failure(ApiError(.corruptMessage, "\(error)"))
        }
        let info: LogAppendInfo
        do {
            info = try log.appendAsLeader(batches, leaderEpoch: leaderEpoch, now: Self.nowMs())
        } catch LogAppendError.duplicate(let original) {
            return .success(original)
        } catch let error as LogAppendError {
            return .failure(ApiError(error.errorCode, "\(error)"))
        } catch let error as StorageError {
            logger.error("append to \(tp) failed: \(error)")
            return .failure(ApiError(error.errorCode, "\(error)"))
        } catch {
            logger.error("append to \(tp) failed: \(error)")
            return .failure(ApiError(.unknownServerError, "\(error)"))
        }
        // A single node is the whole ISR: what is appended is committed.
        log.updateHighWatermark(log.logEndOffset)
        purgatory.appended(info.byteCount, to: tp)
        return .success(info)
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
