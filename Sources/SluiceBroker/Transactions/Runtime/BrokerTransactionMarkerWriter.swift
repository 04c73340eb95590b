import KafkaProtocol
import Logging
import NIOCore
import SluiceBase

/// Writes a transaction's markers from the coordinator's broker (Kafka's
/// `TransactionMarkerChannelManager`): partitions grouped by their leader in the metadata
/// image; this broker's own appended directly, the others sent WriteTxnMarkers (v1) on a
/// connection of their own. Failed partitions are tried again after
/// ``TransactionCoordinatorConfig/markerRetryBackoffMs`` with the leaders of the moment;
/// partitions of deleted topics are dropped; a fenced marker (the partition has seen a newer
/// producer epoch or coordinator) counts as written, as in Kafka.
struct BrokerTransactionMarkerWriter: TransactionMarkerWriter {
    let cluster: ClusterNode
    let appender: TransactionMarkerAppender
    let nodeId: Int32
    let backoffMs: Int64
    let logger: Logger

    func write(_ job: MarkerJob, stillWanted: @escaping @Sendable () -> Bool,
               completion: @escaping @Sendable () -> Void) {
        attempt(job, remaining: job.partitions, stillWanted: stillWanted, completion: completion)
    }

    private func attempt(_ job: MarkerJob, remaining: Set<TopicPartition>, stillWanted: @escaping @Sendable () -> Bool,
                         completion: @escaping @Sendable () -> Void) {
        guard stillWanted() else { return }
        let loop = cluster.pool.eventLoop
        let image = cluster.view.image
        var byLeader: [Int32: [TopicPartition]] = [:]
        var retry: [TopicPartition] = []
        for tp in remaining {
            guard image.topics[tp.topic] != nil, let registration = image.partition(tp) else { continue }  // deleted
            if registration.leader < 0 { retry.append(tp) } else { byLeader[registration.leader, default: []].append(tp) }
        }
        var futures: [EventLoopFuture<[TopicPartition]>] = []
        for (leader, partitions) in byLeader {
            if leader == nodeId {
                for tp in partitions {
                    futures.append(appender.append(commit: job.commit, coordinatorEpoch: job.coordinatorEpoch,
                                                   producerId: job.producerId, producerEpoch: job.producerEpoch,
                                                   to: tp, on: loop).map { Self.isRetriable($0) ? [tp] : [] })
                }
            } else {
                futures.append(send(job, partitions, to: leader, image: image, on: loop))
            }
        }
        let retryNow = retry
        EventLoopFuture.whenAllSucceed(futures, on: loop).whenComplete { [self] result in
            let failed = Set(retryNow + ((try? result.get()) ?? []).flatMap { $0 })
            if failed.isEmpty {
                completion()
                return
            }
            logger.debug("markers of \(job.transactionalId) to retry: \(failed.sorted { "\($0)" < "\($1)" })")
            loop.scheduleTask(in: .milliseconds(backoffMs)) {
                attempt(job, remaining: failed, stillWanted: stillWanted, completion: completion)
            }
        }
    }

    /// WriteTxnMarkers to another broker; answers the partitions to try again.
    private func send(_ job: MarkerJob, _ partitions: [TopicPartition], to leader: Int32, image: MetadataImage,
                      on loop: any EventLoop) -> EventLoopFuture<[TopicPartition]> {
        guard let address = image.brokers[leader]?.clientEndpoint?.address else { return loop.makeSucceededFuture(partitions) }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        var marker = WriteTxnMarkersRequest.WritableTxnMarker()
        marker.producerId = job.producerId
        marker.producerEpoch = job.producerEpoch
        marker.transactionResult = job.commit
        marker.coordinatorEpoch = job.coordinatorEpoch
        marker.topics = byTopic.keys.sorted().map {
            WriteTxnMarkersRequest.WritableTxnMarkerTopic(name: $0, partitionIndexes: byTopic[$0]!.map(\.partition).sorted())
        }
        var request = WriteTxnMarkersRequest()
        request.markers = [marker]
        return cluster.pool.send(request, version: 1, to: address, lane: .other("txn-markers"), timeout: .seconds(30))
            .map { response in
                var failed: [TopicPartition] = []
                var answered: Set<TopicPartition> = []
                for result in response.markers {
                    for topic in result.topics {
                        for p in topic.partitions {
                            let tp = TopicPartition(topic.name, p.partitionIndex)
                            answered.insert(tp)
                            if Self.isRetriable(ErrorCode(p.errorCode)) { failed.append(tp) }
                        }
                    }
                }
                return failed + partitions.filter { !answered.contains($0) }
            }
            .recover { _ in partitions }
            .hop(to: loop)
    }

    /// Whether a partition's marker must be written again. Fenced markers (a newer producer epoch
    /// or coordinator epoch in the partition) are done with, as in Kafka; an unknown partition is
    /// tried again (the leader may not know it yet; a deleted topic leaves the image instead).
    static func isRetriable(_ error: ErrorCode) -> Bool {
        switch error {
        case .noError, .invalidProducerEpoch, .transactionCoordinatorFenced,
             .producerFenced, .corruptMessage, .invalidRecord:
            return false
        default:
            return true
        }
    }
}
