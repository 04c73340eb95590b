import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// ListOffsets (key 2), versions 0-10.
///
/// - Only the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere).
/// - Timestamps: -2 earliest (the log start), -1 latest (the high watermark, which is also the
///   last stable offset: no transactions), t >= 0 the first record whose timestamp is >= t
///   (found through the time index, inside compressed batches too; offset -1 and timestamp -1
///   when there is none).
/// - v0: answers in `old_style_offsets` with at most one offset (Kafka listed segment starts;
///   Sluice gives the exact offset). v1+: one offset with its timestamp. v2+: isolation level
///   (same answer). v4+: current leader epoch check (UNKNOWN_LEADER_EPOCH / FENCED_LEADER_EPOCH,
///   before leadership, as Kafka does) and the leader epoch of the result. v6: flexible.
///   v7+: -3, the record with the largest timestamp (KIP-734). v8+: -4, the earliest local
///   offset (= the log start: no tiered storage). v9+: -5, the last tiered offset (-1: nothing
///   is tiered). v10: timeout (nothing is remote, so no waiting).
struct ListOffsetsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...10
    let services: BrokerServices

    typealias PartitionResponse = ListOffsetsResponse.ListOffsetsPartitionResponse

    func handle(_ request: ListOffsetsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<ListOffsetsResponse>> {
        let version = context.apiVersion
        let snapshot = services.metadata.snapshot
        let logs = services.replicas.logs
        return services.offLoop(context) { [services] in
            var response = ListOffsetsResponse()
            for topic in request.topics {
                let metadata = snapshot.topics[topic.name]
                let partitions = topic.partitions.map { partition -> PartitionResponse in
                    let index = partition.partitionIndex
                    guard let metadata, index >= 0, Int(index) < metadata.partitions.count,
                          let log = logs.log(for: TopicPartition(topic.name, index)) else {
                        return PartitionResponse(partitionIndex: index, errorCode: ErrorCode.unknownTopicOrPartition.rawValue)
                    }
                    let tp = TopicPartition(topic.name, index)
                    if let error = services.leaderError(tp, currentLeaderEpoch: partition.currentLeaderEpoch) {
                        return PartitionResponse(partitionIndex: index, errorCode: error.code.rawValue)
                    }
                    let epoch = services.localReplicas.leadership(of: tp)?.leaderEpoch ?? metadata.partitions[Int(index)].leaderEpoch
                    do {
                        let found = try Self.lookup(partition.timestamp, version: version, in: log, epoch: epoch)
                        var result = PartitionResponse(partitionIndex: index, errorCode: 0, timestamp: found.timestamp,
                                                       offset: found.offset, leaderEpoch: found.leaderEpoch)
                        if version == 0 {
                            result.oldStyleOffsets = found.offset >= 0 && partition.maxNumOffsets > 0 ? [found.offset] : []
                        }
                        return result
                    } catch let error as StorageError {
                        return PartitionResponse(partitionIndex: index, errorCode: error.errorCode.rawValue)
                    } catch {
                        return PartitionResponse(partitionIndex: index, errorCode: ErrorCode.unknownServerError.rawValue)
                    }
                }
                response.topics.append(.init(name: topic.name, partitions: partitions))
            }
            return HandlerReply(response)
        }
    }

    static func lookup(_ timestamp: Int64, version: Int16, in log: any PartitionLog, epoch: Int32) throws -> TimestampAndOffset {
        switch timestamp {
        case -2, -4 where version >= 8:
            return TimestampAndOffset(timestamp: -1, offset: log.logStartOffset, leaderEpoch: epoch)
        case -1:
            return TimestampAndOffset(timestamp: -1, offset: log.highWatermark, leaderEpoch: epoch)
        case -3 where version >= 7:
            return try log.offset(forTimestamp: -3) ?? TimestampAndOffset(timestamp: -1, offset: -1, leaderEpoch: -1)
        case -5 where version >= 9:
            return TimestampAndOffset(timestamp: -1, offset: -1, leaderEpoch: -1)
        default:
            if timestamp >= 0, let found = try log.offset(forTimestamp: timestamp) { return found }
            return TimestampAndOffset(timestamp: -1, offset: -1, leaderEpoch: -1)
        }
    }
}
