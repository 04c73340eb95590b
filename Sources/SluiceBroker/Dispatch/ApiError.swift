import KafkaProtocol

/// A Kafka error code with the message a response carries (where the version has a message field).
public struct ApiError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String?

    public init(_ code: ErrorCode, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    public var description: String { message.map { "\(code): \($0)" } ?? code.description }
}
