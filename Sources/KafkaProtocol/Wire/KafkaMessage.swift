/// A value with Kafka's versioned wire encoding: every generated request, response, header and
/// data message conforms.
public protocol KafkaMessage: Sendable, Equatable {
    /// The value with every field at the spec's default.
    init()
    init(from reader: inout WireReader, version: Int16) throws
    func encode(to writer: inout WireWriter, version: Int16)
}

/// A request body; `Response` is its answer.
public protocol KafkaRequest: KafkaMessage {
    associatedtype Response: KafkaResponse
    static var apiKey: ApiKey { get }
}

/// A response body.
public protocol KafkaResponse: KafkaMessage {
    static var apiKey: ApiKey { get }
}
