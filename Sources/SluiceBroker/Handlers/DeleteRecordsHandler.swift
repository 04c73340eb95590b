import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// DeleteRecords (key 21), versions 0-2.
///
/// - v0: moves each partition's log start offset to the requested offset, so that records below
///   it are gone for consumers (Fetch below it: OFFSET_OUT_OF_RANGE; ListOffsets earliest: the new
///   start); whole segments below it are deleted at once. Offset -1 means the high watermark.
///   The answer carries the partition's low watermark (its log start offset after the deletion;
///   a deletion at or below the current start changes nothing and returns the current start).
///   v1: same (throttling order only). v2: flexible.
/// - Errors per partition (low watermark -1), as Kafka's: UNKNOWN_TOPIC_OR_PARTITION,
///   INVALID_TOPIC_EXCEPTION for internal topics (`__consumer_offsets`), POLICY_VIOLATION when
///   `cleanup.policy` lacks `delete`, OFFSET_OUT_OF_RANGE for an offset past the high watermark
///   or below -1, KAFKA_STORAGE_ERROR when the disk fails.
/// - Only the partition's leader deletes (NOT_LEADER_OR_FOLLOWER elsewhere); followers learn the
///   new log start offset from its fetch responses. `timeout_ms` (waiting until followers' log
///   starts follow) is not waited for: the answer comes once the leader's log start moved. Runs on the I/O pool (segment deletion
///   and the checkpoint write block).
struct DeleteRecordsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2
    let services: BrokerServices

    typealias PartitionResult = DeleteRecordsResponse.DeleteRecordsPartitionResult

    func handle(_ request: DeleteRecordsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<DeleteRecordsResponse>> {
        let snapshot = services.metadata.snapshot
        let logs = services.replicas.logs
        let logger = services.logger
        return services.offLoop(context) {
            var response = DeleteRecordsResponse()
            for topic in request.topics {
                let metadata = snapshot.topics[topic.name]
                let results = topic.partitions.map { partition -> PartitionResult in
                    let index = partition.partitionIndex
                    let tp = TopicPartition(topic.name, index)
                    func failed(_ code: ErrorCode) -> PartitionResult {
                        PartitionResult(partitionIndex: index, lowWatermark: -1, errorCode: code.rawValue)
                    }
                    guard let metadata, index >= 0, Int(index) < metadata.partitions.count,
                          let log = logs.log(for: tp) else {
                        return failed(.unknownTopicOrPartition)
                    }
                    if topic.name == OffsetsTopic.name { return failed(.invalidTopicException) }
                    if let error = services.notLeaderError(tp) { return failed(error.code) }
                    guard log.config.cleanupPolicy.contains(.delete) else { return failed(.policyViolation) }
                    let offset = partition.offset == -1 ? log.highWatermark : partition.offset
                    do {
                        try log.deleteRecords(before: offset)
                        return PartitionResult(partitionIndex: index, lowWatermark: log.logStartOffset, errorCode: 0)
                    } catch let error as StorageError {
                        if error == .closed && logs.log(for: tp) == nil { return failed(.unknownTopicOrPartition) }
                        if !error.isOffsetOutOfRange { logger.error("deleting records of \(tp) failed: \(error)") }
                        return failed(error.errorCode)
                    } catch {
                        logger.error("deleting records of \(tp) failed: \(error)")
                        return failed(.unknownServerError)
                    }
                }
                response.topics.append(.init(name: topic.name, partitions: results))
            }
            return HandlerReply(response)
        }
    }
}
