import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import SluiceBase
import SluiceStorage

/// This broker's role for one partition, as the metadata log last said.
public struct LocalLeadership: Sendable, Equatable {
    public var isLeader: Bool
    public var leaderEpoch: Int32
    /// The leader (-1 when the partition has none).
    public var leader: Int32
}

/// The first partition-state listener: keeps the local logs in line with the metadata (a log
/// for every partition this broker holds, none for others) and records which partitions this
/// broker leads, at which epoch — what Produce, Fetch and ListOffsets check before serving.
///
/// On its first call it also deletes *stray* logs: directories of partitions the caught-up
/// metadata does not place on this broker (a topic deleted while the broker was down, a
/// replica moved away).
final class LocalReplicas: PartitionStateListener, Sendable {
    private let nodeID: Int32
    private let logs: any LogDirectory
    private let logger: Logger
    private let table = NIOLockedValueBox<[TopicPartition: LocalLeadership]>([:])
    private let sawFirstDelta = NIOLockedValueBox(false)

    init(nodeID: Int32, logs: any LogDirectory, logger: Logger) {
        self.nodeID = nodeID
        self.logs = logs
        self.logger = logger
    }

    func leadership(of tp: TopicPartition) -> LocalLeadership? { table.withLockedValue { $0[tp] } }

    func partitionsChanged(_ delta: LocalPartitionDelta) {
        let first = sawFirstDelta.withLockedValue { seen in
            defer { seen = true }
            return !seen
        }
        if first { deleteStrayLogs(delta.image) }
        for change in delta.changes {
            switch change {
            case .becomeLeader(let p, let isNew):
                guard let log = ensureLog(p) else { continue }
                if isNew && p.registration.isr == [nodeID] {
                    // The only in-sync replica: everything it holds is committed.
                    log.updateHighWatermark(log.logEndOffset)
                }
                table.withLockedValue {
                    $0[p.topicPartition] = LocalLeadership(isLeader: true, leaderEpoch: p.registration.leaderEpoch, leader: nodeID)
                }
                if isNew { logger.info("leading \(p.topicPartition) at epoch \(p.registration.leaderEpoch)") }
            case .becomeFollower(let p, let isNew):
                guard ensureLog(p) != nil else { continue }
                table.withLockedValue {
                    $0[p.topicPartition] = LocalLeadership(isLeader: false, leaderEpoch: p.registration.leaderEpoch,
                                                           leader: p.registration.leader)
                }
                if isNew { logger.info("following \(p.topicPartition): leader \(p.registration.leader) at epoch \(p.registration.leaderEpoch)") }
            case .stopReplica(let tp, _, let deleteLog):
                table.withLockedValue { $0[tp] = nil }
                if deleteLog {
                    do {
                        try logs.deleteLog(for: tp)
                        logger.info("deleted the log of \(tp) (no longer a replica here)")
                    } catch {
                        logger.error("deleting the log of \(tp) failed: \(error)")
                    }
                }
            }
        }
    }

    /// The partition's log, created if missing and given the topic's current config.
    private func ensureLog(_ p: LocalPartition) -> (any PartitionLog)? {
        do {
            let log = try logs.getOrCreateLog(for: p.topicPartition, config: p.config)
            if log.config != p.config { log.updateConfig(p.config) }
            return log
        } catch {
            logger.error("creating the log of \(p.topicPartition) failed: \(error)")
            return nil
        }
    }

    private func deleteStrayLogs(_ image: MetadataImage) {
        for tp in logs.allLogs.keys.sorted() where image.partition(tp)?.isReplica(nodeID) != true {
            logger.info("deleting stray log \(tp): the metadata does not place it on this broker")
            do {
                try logs.deleteLog(for: tp)
            } catch {
                logger.error("deleting stray log \(tp) failed: \(error)")
            }
        }
    }
}
