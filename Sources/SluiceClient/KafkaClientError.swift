import KafkaProtocol

/// Why a client operation failed.
///
/// Errors the cluster reports carry the Kafka ``ErrorCode`` (its name, number and whether it is
/// retriable) and the resource it concerns, so that a caller can say what went wrong and what to
/// do: `UNKNOWN_TOPIC_OR_PARTITION (3): topic 'x'`. Everything else is a connection problem, a
/// timeout, a version the broker does not support, a malformed response, or bad input.
public struct KafkaClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: Hashable, Sendable {
        /// The cluster answered with a Kafka error code.
        case broker(ErrorCode)
        /// A broker could not be reached, or the connection broke.
        case connection
        /// No answer within the allowed time.
        case timeout
        /// The broker does not implement an API (or any version this client speaks).
        case unsupportedVersion(ApiKey)
        /// The broker's response could not be decoded.
        case protocolViolation
        /// The caller's input is not valid (checked before anything is sent).
        case invalidArgument
        /// The client (producer, consumer, admin) was already closed.
        case closed
    }

    public let kind: Kind
    /// A sentence about the failure, naming the resource (topic, group, broker) when known.
    public let detail: String
    /// The resource the error concerns (`topic 'x'`, `group 'g'`, `broker 1 at host:port`), if any.
    public let resource: String?

    public init(_ kind: Kind, _ detail: String, resource: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.resource = resource
    }

    /// A broker-reported error for `resource`, with the broker's message when it sent one.
    public static func broker(_ code: ErrorCode, resource: String? = nil, message: String? = nil) -> KafkaClientError {
        var text = code.message
        if let message, !message.isEmpty, message != text { text = message }
        return KafkaClientError(.broker(code), text, resource: resource)
    }

    /// The Kafka error code, when the cluster reported one.
    public var errorCode: ErrorCode? {
        if case let .broker(code) = kind { return code }
        return nil
    }

    /// Whether trying again (after a metadata refresh and a backoff) may succeed.
    public var isRetriable: Bool {
        switch kind {
        case let .broker(code): return code.isRetriable
        case .connection, .timeout: return true
        case .unsupportedVersion, .protocolViolation, .invalidArgument, .closed: return false
        }
    }

    /// Whether the error means cached metadata (leaders, partitions, coordinators) is stale.
    public var invalidatesMetadata: Bool {
        guard case let .broker(code) = kind else { return kind == .connection || kind == .timeout }
        switch code {
        case .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .fencedLeaderEpoch,
             .unknownLeaderEpoch, .notCoordinator, .coordinatorNotAvailable, .brokerNotAvailable,
             .replicaNotAvailable, .kafkaStorageError, .unknownTopicId, .inconsistentTopicId, .notController:
            return true
        default:
            return false
        }
    }

    public var description: String {
        let subject = resource.map { "\($0): " } ?? ""
        switch kind {
        case let .broker(code): return "\(code.name) (\(code.rawValue)): \(subject)\(detail)"
        case .connection: return "connection failed: \(subject)\(detail)"
        case .timeout: return "timed out: \(subject)\(detail)"
        case let .unsupportedVersion(api): return "UNSUPPORTED_VERSION (35): \(subject)the broker does not support \(api.name): \(detail)"
        case .protocolViolation: return "invalid response: \(subject)\(detail)"
        case .invalidArgument: return "invalid argument: \(subject)\(detail)"
        case .closed: return "closed: \(subject)\(detail)"
        }
    }
}

extension ErrorCode {
    /// Throws a ``KafkaClientError`` when this code is an error.
    func check(resource: @autoclosure () -> String? = nil, message: String? = nil) throws {
        if isError { throw KafkaClientError.broker(self, resource: resource(), message: message) }
    }
}
