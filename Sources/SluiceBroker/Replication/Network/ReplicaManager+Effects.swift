import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceStorage

extension ReplicaManager {
    /// Carries out what the replication engine asked for: completes parked produce requests,
    /// wakes waiting fetches (followers on appends, consumers on the high watermark), kicks
    /// fetchers and the AlterPartition sender.
    func perform(_ effects: ReplicationEffects) {
        guard !effects.isEmpty else { return }
        for completion in effects.completions {
            switch completion.error {
            case .noError:
                waiters.complete(completion.id, error: nil)
            case .notEnoughReplicasAfterAppend:
                waiters.complete(completion.id, error: ApiError(completion.error,
                    "The records are committed, but the ISR shrank below min.insync.replicas while waiting."))
            default:
                waiters.complete(completion.id, error: ApiError(completion.error))
            }
        }
        for (tp, bytes) in effects.committed { purgatory.committed(bytes, to: tp) }
        for (tp, bytes) in effects.appended { purgatory.appended(bytes, to: tp) }
        for source in effects.fetchersToKick.sorted() { fetchers.kick(source) }
        if effects.alterPartitionPending { alterPartitions.kick() }
        for t in effects.truncations {
            logger.info("truncated \(t.topicPartition) from \(t.fromLogEnd) to \(t.toOffset) (high watermark \(t.highWatermarkBefore)) to match its leader")
        }
    }
}

/// Lets the fetchers and the AlterPartition sender (made before the replica manager is complete)
/// hand their effects to it.
final class EffectsSink: Sendable {
    let target = NIOLockedValueBox<ReplicaManager?>(nil)

    var perform: @Sendable (ReplicationEffects) -> Void {
        { [self] effects in target.withLockedValue { $0 }?.perform(effects) }
    }
}
