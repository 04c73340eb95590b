import KafkaProtocol
import Logging
import SluiceStorage

/// Feeds the cluster metadata's partition changes to the replication engine: this broker becomes
/// a partition's leader, a follower of its leader at an epoch, or stops replicating it. Registered
/// after the cluster's log keeper (`LocalReplicas`), so each partition's log exists.
final class ReplicationListener: PartitionStateListener {
    private let replicas: ReplicaManager
    private let logger: Logger

    init(replicas: ReplicaManager, logger: Logger) {
        self.replicas = replicas
        self.logger = logger
    }

    func partitionsChanged(_ delta: LocalPartitionDelta) {
        let now = ReplicaManager.nowMs()
        var effects = BrokerReplicationEffects()
        for change in delta.changes {
            switch change {
            case .becomeLeader(let p, _), .becomeFollower(let p, _):
                guard let log = replicas.logs.log(for: p.topicPartition) else {
                    logger.error("no log for \(p.topicPartition): cannot replicate it")
                    continue
                }
                let state = Self.state(p)
                effects.merge(replicas.engine.apply(state, log: log, now: now))
                if case .becomeLeader(_, true) = change {
                    logger.info("leading \(state)")
                } else if case .becomeFollower(_, true) = change {
                    logger.info("following \(state)")
                }
            case .stopReplica(let tp, _, _):
                effects.merge(replicas.engine.stop(tp))
            }
        }
        replicas.perform(effects)
    }

    static func state(_ p: LocalPartition) -> PartitionState {
        let r = p.registration
        return PartitionState(topicPartition: p.topicPartition, topicId: r.topicId, replicas: r.replicas, isr: r.isr,
                              leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch,
                              addingReplicas: r.addingReplicas, removingReplicas: r.removingReplicas)
    }
}
