import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// The partition leader's side of a marker (Kafka's `ReplicaManager.appendRecords` for
/// WriteTxnMarkers): one control batch appended with acks=all and the coordinator's origin, then
/// the group coordinator told when the partition is one of `__consumer_offsets` (a COMMIT makes
/// the producer's transactional offset commits visible, an ABORT drops them).
struct TransactionMarkerAppender: Sendable {
    let replicas: ReplicaManager
    let groups: GroupCoordinator
    /// How long the append may wait for the in-sync replicas (`request.timeout.ms` in Kafka).
    var timeoutMs: Int64 = 30_000

    func append(commit: Bool, coordinatorEpoch: Int32, producerId: Int64, producerEpoch: Int16, to tp: TopicPartition,
                on eventLoop: any EventLoop) -> EventLoopFuture<ErrorCode> {
        let batch: RecordBatch
        do {
            batch = try EndTransactionMarker(commit: commit, coordinatorEpoch: coordinatorEpoch)
                .batch(producerId: producerId, producerEpoch: producerEpoch, timestamp: ReplicaManager.nowMs())
        } catch {
            return eventLoop.makeSucceededFuture(.unknownServerError)
        }
        return replicas.append(batch.bytes, to: tp, requiredAcks: -1, timeoutMs: timeoutMs, origin: .coordinator,
                               on: eventLoop).map { [groups] result in
            switch result {
            case .success:
                if tp.topic == OffsetsTopic.name {
                    groups.completeTransaction(partition: tp.partition, producerId: producerId, commit: commit)
                }
                return .noError
            case let .failure(error):
                return error.code
            }
        }
    }
}
