import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceStorage

extension ReplicaManager {
    /// Carries out what the replication engine asked for: answers produce requests (their
    /// promises are the tokens the engine hands back), wakes waiting fetches (followers on
    /// appends, consumers on the high watermark), kicks fetchers and the AlterPartition sender.
    func perform(_ effects: BrokerReplicationEffects) {
        guard !effects.isEmpty else { return }
        for completion in effects.completions {
            if case let .failure(error) = completion.result, error.code == .kafkaStorageError {
                logger.error("append failed: \(error)")
            }
            completion.token.succeed(completion.result)
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

/// The way back from the fetchers and the AlterPartition sender to the replica manager that owns
/// them, for the effects of the engine calls they make. It holds the manager weakly: an owned
/// object keeping its owner alive is a cycle, and a stopped broker's replica manager (its engine,
/// partitions and their logs) would never be freed. Effects that arrive once the manager is gone
/// (a fetch answer after shutdown) have nobody left to act on them and are dropped.
final class EffectsRelay: Sendable {
    private struct Target {
        weak var manager: ReplicaManager?
    }

    private let target = NIOLockedValueBox(Target())

    /// Set once, by the manager's initialiser (the relay exists before the manager does).
    func connect(to manager: ReplicaManager) {
        target.withLockedValue { $0.manager = manager }
    }

    func perform(_ effects: BrokerReplicationEffects) {
        target.withLockedValue { $0.manager }?.perform(effects)
    }
}
