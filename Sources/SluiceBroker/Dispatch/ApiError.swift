import KafkaProtocol
import SluiceStorage

/// A Kafka error code with the message a response carries (where the version has a message field).
public struct ApiError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String?
    /// Produce only: the records refused one by one (KIP-467 `record_errors`, Produce v8+).
    public var recordErrors: [RejectedRecords.Record] = []

    public init(_ code: ErrorCode, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    /// A produce refusal naming its records.
    public init(_ rejected: RejectedRecords) {
        self.init(rejected.errorCode, rejected.message)
        recordErrors = rejected.records
    }

    /// `error` itself when it is an ``ApiError``, else UNKNOWN_SERVER_ERROR with its description
    /// (what a handler answers for an error it did not expect).
    init(wrapping error: any Error) {
        self = (error as? ApiError) ?? ApiError(.unknownServerError, "\(error)")
    }

    public var description: String { message.map { "\(code): \($0)" } ?? code.description }
}
