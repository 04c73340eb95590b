import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceSecurity

/// WriteTxnMarkers (key 27), versions 0-1: from a transaction coordinator to a partition leader.
///
/// - Each marker (producer id and epoch, COMMIT or ABORT, the coordinator's epoch) is appended
///   to each of its partitions as a control batch, with acks=all; an answer per partition.
///   Partitions led elsewhere get NOT_LEADER_OR_FOLLOWER (the coordinator looks the leader up
///   again); a marker older than the partition's producer epoch INVALID_PRODUCER_EPOCH, from an
///   older coordinator TRANSACTION_COORDINATOR_FENCED. On `__consumer_offsets` partitions the
///   group coordinator then makes the producer's transactional offset commits visible (COMMIT)
///   or drops them (ABORT). v1: flexible.
/// - Authorization: CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED per partition).
struct WriteTxnMarkersHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: BrokerServices

    typealias PartitionResult = WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult

    func handle(_ request: WriteTxnMarkersRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<WriteTxnMarkersResponse>> {
        let allowed = services.authorizeClusterAction(context)
        let loop = context.eventLoop
        let appender = services.markerAppender
        let services = services
        let markers = request.markers.map { marker -> EventLoopFuture<WriteTxnMarkersResponse.WritableTxnMarkerResult> in
            let topics = marker.topics.map { topic -> EventLoopFuture<WriteTxnMarkersResponse.WritableTxnMarkerTopicResult> in
                let partitions = topic.partitionIndexes.map { index -> EventLoopFuture<PartitionResult> in
                    let tp = TopicPartition(topic.name, index)
                    guard allowed else {
                        return loop.makeSucceededFuture(PartitionResult(partitionIndex: index,
                                                                        errorCode: ErrorCode.clusterAuthorizationFailed.rawValue))
                    }
                    if let error = services.notLeaderError(tp) {
                        return loop.makeSucceededFuture(PartitionResult(partitionIndex: index, errorCode: error.code.rawValue))
                    }
                    return appender.append(commit: marker.transactionResult, coordinatorEpoch: marker.coordinatorEpoch,
                                           producerId: marker.producerId, producerEpoch: marker.producerEpoch,
                                           to: tp, on: loop)
                        .map { PartitionResult(partitionIndex: index, errorCode: $0.rawValue) }
                }
                return EventLoopFuture.whenAllSucceed(partitions, on: loop).map {
                    .init(name: topic.name, partitions: $0)
                }
            }
            return EventLoopFuture.whenAllSucceed(topics, on: loop).map {
                .init(producerId: marker.producerId, topics: $0)
            }
        }
        return EventLoopFuture.whenAllSucceed(markers, on: loop).map { HandlerReply(WriteTxnMarkersResponse(markers: $0)) }
    }
}
