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
    /// A replica the consumer should read from instead (KIP-392): the partition is not read,
    /// only its watermarks are answered.
    var preferredReadReplica: Int32 = -1
}

/// What a fetch read from one partition. `release()` closes the file handles behind `records`.
struct PartitionRead: Sendable {
    var tp: TopicPartition
    var errorCode: ErrorCode
    var highWatermark: Int64 = -1
    /// The last stable offset when the read was made (-1 when not read).
    var lastStableOffset: Int64 = -1
    var logStartOffset: Int64 = -1
    /// For read_committed reads: the aborted transactions overlapping the records returned.
    var abortedTransactions: [AbortedTransaction]?
    var records: RecordsPayload = .bytes(ByteBuffer())
    var result: LogReadResult?
    var preferredReadReplica: Int32 = -1

    func release() { result?.release() }
}

extension ReplicaManager {
    /// Reads the targets in order within `maxBytes` in total (blocking: call on the I/O pool).
    ///
    /// The first partition that has data returns at least its first whole batch even beyond the
    /// limits (KIP-74), so a consumer always makes progress; the others stop at the limits.
    /// Consumers read up to the high watermark (`readCommitted`: up to the last stable offset,
    /// with the aborted transactions the records returned overlap), replicas (`toLogEnd`) up to
    /// the log end.
    func read(_ targets: [FetchTarget], maxBytes: Int, toLogEnd: Bool, readCommitted: Bool = false) -> [PartitionRead] {
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
            if target.preferredReadReplica >= 0 {
                reads.append(PartitionRead(tp: target.tp, errorCode: .noError, highWatermark: log.highWatermark,
                                           logStartOffset: log.logStartOffset, preferredReadReplica: target.preferredReadReplica))
                continue
            }
            let limit = min(max(0, target.partitionMaxBytes), remaining)
            do {
                // Read before the log end and watermark the read reports: it never exceeds them.
                let lastStable = log.lastStableOffset
                let maxOffset = toLogEnd ? log.logEndOffset : readCommitted ? lastStable : log.highWatermark
                let result = try log.read(from: target.fetchOffset, maxBytes: limit, maxOffset: maxOffset,
                                          minOneBatch: minOneBatch)
                let size = result.records.byteCount
                if size > 0 { minOneBatch = false }
                remaining = max(0, remaining - size)
                // Kafka bounds the list by the offset after the records returned; the LSO bounds
                // it from above (a few more entries than needed are harmless: a consumer uses an
                // entry only when it meets that producer's batches).
                let aborted = readCommitted && size > 0
                    ? log.abortedTransactions(from: target.fetchOffset, upTo: lastStable) : []
                reads.append(PartitionRead(tp: target.tp, errorCode: .noError, highWatermark: result.highWatermark,
                                           lastStableOffset: min(lastStable, result.highWatermark),
                                           logStartOffset: result.logStartOffset,
                                           abortedTransactions: readCommitted ? aborted : nil,
                                           records: result.records, result: result))
            } catch let error as StorageError {
                if !error.isOffsetOutOfRange { logger.error("read from \(target.tp) failed: \(error)") }
                reads.append(PartitionRead(tp: target.tp, errorCode: error.errorCode,
                                           highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset,
                                           logStartOffset: log.logStartOffset))
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

extension ReplicaManager {
    /// As the leader of each target: the replica a consumer in `clientRack` should read from
    /// instead (``ReplicaSelector``), set on the targets that get one. Candidates are in-sync
    /// followers that hold the fetch offset, on live (unfenced) brokers with a client endpoint.
    /// Takes the partitions' locks: call on the I/O pool.
    func choosePreferredReadReplicas(_ targets: inout [FetchTarget], selector: ReplicaSelector, clientRack: String,
                                     image: MetadataImage) {
        for i in targets.indices where targets[i].error == nil {
            let tp = targets[i].tp
            guard let partition = engine.partition(tp), let registration = image.partition(tp),
                  let followers = partition.readReplicaCandidates(fetchOffset: targets[i].fetchOffset) else { continue }
            let candidates = followers.compactMap { follower -> ReplicaSelector.Candidate? in
                guard let broker = image.brokers[follower.id], !broker.fenced, broker.clientEndpoint != nil else { return nil }
                return .init(id: follower.id, rack: broker.rack, logEndOffset: follower.logEndOffset)
            }
            if let chosen = selector.select(leader: registration.leader, leaderRack: image.brokers[registration.leader]?.rack,
                                            candidates: candidates, clientRack: clientRack) {
                targets[i].preferredReadReplica = chosen
            }
        }
    }
}
