/// The internal topic `__transaction_state`: where the transaction coordinators keep each
/// transactional id's state, and which partition (hence which coordinator) an id belongs to.
public enum TransactionStateTopic {
    public static let name = "__transaction_state"

    /// The partition of `transactionalId`: `Utils.abs(transactionalId.hashCode()) % partitionCount`,
    /// as Kafka's `TransactionStateManager.partitionFor` computes it (the same hash and `abs` as
    /// the offsets topic's).
    public static func partition(for transactionalId: String, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "the transaction state topic has at least one partition")
        return OffsetsTopic.kafkaAbs(OffsetsTopic.javaStringHashCode(transactionalId)) % partitionCount
    }

    /// The topic configs Kafka creates the topic with: compacted, uncompressed, min ISR and
    /// segment size from `transaction.state.log.min.isr` and `transaction.state.log.segment.bytes`.
    public static func topicConfigs(segmentBytes: Int32, minInsyncReplicas: Int32) -> [String: String] {
        [
            "cleanup.policy": "compact",
            "segment.bytes": String(segmentBytes),
            "min.insync.replicas": String(minInsyncReplicas),
            "compression.type": "uncompressed",
            "unclean.leader.election.enable": "false",
        ]
    }
}
