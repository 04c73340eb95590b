import KafkaProtocol

/// The records of one batch a leader refused, each by its index in the batch (KIP-467's
/// `record_errors`), with the error code and message of the whole partition's answer, as Kafka's
/// `LogValidator.processRecordErrors` words them. The batch is not appended; a client such as
/// librdkafka fails the named records and, when they were batched with others, those others with
/// a local error of its own (`_INVALID_DIFFERENT_RECORD`), which it may produce again.
public struct RejectedRecords: Sendable, Equatable {
    /// One refused record: its index in its batch (0-based) and why.
    public struct Record: Sendable, Equatable, CustomStringConvertible {
        public var batchIndex: Int32
        public var message: String?

        public init(batchIndex: Int32, message: String?) {
            self.batchIndex = batchIndex
            self.message = message
        }

        /// Java's `RecordError.toString`, which Kafka's error message quotes.
        public var description: String {
            "RecordError(batchIndex=\(batchIndex), message=\(message.map { "'\($0)'" } ?? "null"))"
        }
    }

    public var records: [Record]
    /// INVALID_TIMESTAMP when a timestamp is at fault, else INVALID_RECORD, as in Kafka.
    public var errorCode: ErrorCode

    public init(records: [Record], errorCode: ErrorCode) {
        self.records = records
        self.errorCode = errorCode
    }

    /// Kafka's partition-level `error_message` for these errors.
    public var message: String {
        if errorCode == .invalidTimestamp {
            return "One or more records have been rejected due to invalid timestamp"
        }
        let shown = records.prefix(3).map(\.description).joined(separator: ", ")
        return "One or more records have been rejected due to \(records.count) record errors in total, "
            + "and only showing the first three errors at most: [\(shown)]"
    }
}
