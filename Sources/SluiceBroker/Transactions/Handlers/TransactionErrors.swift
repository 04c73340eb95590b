import KafkaProtocol

/// Error codes as each version of the transaction APIs knows them.
enum TransactionErrors {
    /// PRODUCER_FENCED (KIP-588) is new in AddPartitionsToTxn, AddOffsetsToTxn and EndTxn v2,
    /// TxnOffsetCommit v3 and InitProducerId v4: older versions get INVALID_PRODUCER_EPOCH, as
    /// Kafka answers them.
    static func forVersion(_ error: ErrorCode, _ version: Int16, producerFencedSince: Int16) -> ErrorCode {
        error == .producerFenced && version < producerFencedSince ? .invalidProducerEpoch : error
    }
}
