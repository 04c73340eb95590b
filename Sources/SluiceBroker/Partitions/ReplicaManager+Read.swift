import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// One partition of a fetch, as the handler resolved it.
struct FetchTarget: Sendable {
    var tp: TopicPartition
    var fetchOffset: Int64
    var partitionMaxBytes: Int
    /// An error found before reading (unknown topic, fenced epoch): the partition is not read.
    var error: ApiError?
}

/// What a fetch read from one partition. `release()` closes the file handles behind `records`.
struct PartitionRead: Sendable {
    var tp: TopicPartition
    var errorCode: ErrorCode
    var highWatermark: Int64 = -1
    var logStartOffset: Int64 = -1
    var records: RecordsPayload = .bytes(ByteBuffer())
    var result: LogReadResult?

    func release() { result?.release() }
}

extension ReplicaManager {
    /// Reads the targets in order within `maxBytes` in total (blocking: call on the I/O pool).
    ///
    /// The first partition that has data returns at least its first whole batch even beyond the
    /// limits (KIP-74), so a consumer always makes progress; the others stop at the limits.
    /// Consumers read up to the high watermark, replicas (`toLogEnd`) up to the log end.
    func read(_ targets: [FetchTarget], maxBytes: Int, toLogEnd: Bool) -> [PartitionRead] {
        var remaining = max(0, maxBytes)
        var minOneBatch = true
        var reads: [PartitionRead] = []
        reads.reserveCapacity(targets.count)
        for target in targets {
            if let error = target.error {
                reads.append(PartitionRead(tp: target.tp, errorCode: error.code))
                continue
            }
            guard let log = logs.log(for: target.tp) else {
                reads.append(PartitionRead(tp: target.tp, errorCode: .unknownTopicOrPartition))
                continue
            }
            let limit = min(max(0, target.partitionMaxBytes), remaining)
            do {
                let maxOffset = toLogEnd ? log.logEndOffset : log.highWatermark
                let result = try log.read(from: target.fetchOffset, maxBytes: limit, maxOffset: maxOffset,
                                          minOneBatch: minOneBatch)
                let size = result.records.byteCount
                if size > 0 { minOneBatch = false }
                remaining = max(0, remaining - size)
                reads.append(PartitionRead(tp: target.tp, errorCode: .noError, highWatermark: result.highWatermark,
                                           logStartOffset: result.logStartOffset, records: result.records, result: result))
            } catch let error as StorageError {
                if !error.isOffsetOutOfRange { logger.error("read from \(target.tp) failed: \(error)") }
                reads.append(PartitionRead(tp: target.tp, errorCode: error.errorCode,
                                           highWatermark: log.highWatermark, logStartOffset: log.logStartOffset))
            } catch {
                logger.error("read from \(target.tp) failed: \(error)")
                reads.append(PartitionRead(tp: target.tp, errorCode: .unknownServerError))
            }
        }
        return reads
    }
}

extension ReplicaManager {
    /// For Fetch v0-3: the reads' batches as messages of format 0 (v0-1) or 1 (v2-3), in memory.
    /// The file handles of the original reads are released here.
    func downConvert(_ reads: [PartitionRead], targets: [FetchTarget], version: Int16) -> [PartitionRead] {
        zip(reads, targets).map { read, target in
            guard read.errorCode == .noError, read.records.byteCount > 0 else { return read }
            defer { read.release() }
            var converted = read
            converted.result = nil
            do {
                let bytes = try read.records.loadBytes()
                converted.records = .bytes(try LegacyMessageSet.downConvert(
                    RecordBatchSequence(bytes), fromOffset: target.fetchOffset, magic: version < 2 ? 0 : 1))
            } catch {
                logger.error("down-converting \(read.tp) for Fetch v\(version) failed: \(error)")
                converted.errorCode = .unknownServerError
                converted.records = .bytes(ByteBuffer())
            }
            return converted
        }
    }
}
