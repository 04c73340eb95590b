import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// OffsetForLeaderEpoch (key 23), versions 0-4.
///
/// - For each partition and requested epoch: the largest epoch <= it that the log knows and
///   where that epoch ends (the start of the next epoch, or the log end for the current one), so
///   that a consumer or follower can detect a truncated log. An epoch the log does not know
///   gives epoch -1 and end offset -1. The current epoch of an empty log ends at its log end.
/// - Only the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere).
/// - v1+: the epoch in the answer. v2+: current leader epoch fencing (FENCED_LEADER_EPOCH /
///   UNKNOWN_LEADER_EPOCH, checked before leadership, as Kafka does). v3+: replica id (followers
///   and consumers get the same answer from the leader: followers of Sluice find divergence
///   through Fetch's diverging epoch instead). v4: flexible.
/// - The leader answers for its current epoch from the offset where its leadership began, even
///   before it appended a batch of that epoch (a follower holding batches of an epoch between
///   the leader's last logged one and its current one must learn that they end there).
/// - Unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION.
struct OffsetForLeaderEpochHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    typealias Result = OffsetForLeaderEpochResponse.EpochEndOffset

    func handle(_ request: OffsetForLeaderEpochRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<OffsetForLeaderEpochResponse>> {
        let snapshot = services.metadata.snapshot
        let logs = services.replicas.logs
        let engine = services.replicas.engine
        return services.offLoop(context) { [services] in
            var response = OffsetForLeaderEpochResponse()
            for topic in request.topics {
                let metadata = snapshot.topics[topic.topic]
                let results = topic.partitions.map { partition -> Result in
                    let index = partition.partition
                    guard let metadata, index >= 0, Int(index) < metadata.partitions.count,
                          let log = logs.log(for: TopicPartition(topic.topic, index)) else {
                        return Result(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, partition: index)
                    }
                    let tp = TopicPartition(topic.topic, index)
                    if let error = services.leaderError(tp, currentLeaderEpoch: partition.currentLeaderEpoch) {
                        return Result(errorCode: error.code.rawValue, partition: index)
                    }
                    // The leader's view counts its current epoch from its start even before a batch
                    // of it is logged (see LeaderEpochLookup).
                    let found = engine.partition(tp)?.leaderEndOffset(forEpoch: partition.leaderEpoch)
                        ?? log.endOffset(forLeaderEpoch: partition.leaderEpoch)
                    if let found {
                        return Result(errorCode: 0, partition: index, leaderEpoch: found.epoch, endOffset: found.endOffset)
                    }
                    return Result(errorCode: 0, partition: index, leaderEpoch: -1, endOffset: -1)
                }
                response.topics.append(.init(topic: topic.topic, partitions: results))
            }
            return HandlerReply(response)
        }
    }
}
