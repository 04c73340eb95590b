import Foundation
import SluiceBase

extension BrokerAddress {
    /// Parses a comma-separated bootstrap list (`bootstrap.servers`), each entry as
    /// ``BrokerAddress/init(bootstrapServer:)`` reads it; throws on any malformed entry or an
    /// empty list.
    public static func parseList(_ text: String) throws -> [BrokerAddress] {
        let entries = text.split(separator: ",").map { String($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !entries.isEmpty else {
            throw KafkaClientError(.invalidArgument, "empty bootstrap server list")
        }
        return try entries.map { entry in
            guard let address = BrokerAddress(bootstrapServer: entry) else {
                throw KafkaClientError(.invalidArgument, "'\(entry)' is not host:port")
            }
            return address
        }
    }
}

/// How often and how patiently to retry a retriable failure.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The wait before the second attempt; it doubles each time up to ``maxBackoff``.
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(maxAttempts: Int = 10, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(1)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// No retries: the first failure is final.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait after failed attempt number `attempt` (1-based), with ±20% jitter so that many
    /// clients do not retry in lockstep.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let base = initialBackoff * (1 << exponent)
        let capped = min(base, maxBackoff)
        let jitter = Double.random(in: 0.8...1.2)
        return capped * jitter
    }
}

/// Settings shared by the producer, the consumer and the admin client.
public struct ClientConfiguration: Sendable {
    /// Where to start: any brokers of the cluster; the rest are learnt from metadata.
    public var bootstrapServers: [BrokerAddress]
    /// Sent in every request header; brokers log it and quotas use it.
    public var clientId: String
    /// How long to wait for a TCP connection.
    public var connectTimeout: Duration
    /// How long to wait for the answer to one request (long-poll fetches add their wait).
    public var requestTimeout: Duration
    /// Retries of retriable errors (metadata is refreshed between attempts where it matters).
    public var retry: RetryPolicy
    /// Cached metadata older than this is refreshed before use.
    public var metadataMaxAge: Duration
    /// The largest response frame accepted (a fetch answer can be large).
    public var maxResponseSize: Int
    /// A request in flight longer than this (plus any long-poll wait it asked for) makes its broker
    /// "overdue": requests that may go to any broker (Metadata, DescribeCluster, ...) then go
    /// elsewhere, so one hung broker does not stall them for a whole ``requestTimeout``.
    public var overdueRequestThreshold: Duration
    /// How long a broker whose request (or connect) timed out is avoided by requests that may go
    /// to any broker. Requests to that broker itself (leaders, coordinators) still go to it.
    public var unresponsiveBrokerBackoff: Duration
    /// TLS and SASL (``ClientSecurity``); PLAINTEXT by default.
    public var security: ClientSecurity = .plaintext

    public init(
        bootstrapServers: [BrokerAddress],
        clientId: String = "sluice",
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        retry: RetryPolicy = RetryPolicy(),
        metadataMaxAge: Duration = .seconds(300),
        maxResponseSize: Int = 256 * 1024 * 1024,
        overdueRequestThreshold: Duration = .seconds(1),
        unresponsiveBrokerBackoff: Duration = .seconds(10)
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retry = retry
        self.metadataMaxAge = metadataMaxAge
        self.maxResponseSize = maxResponseSize
        self.overdueRequestThreshold = overdueRequestThreshold
        self.unresponsiveBrokerBackoff = unresponsiveBrokerBackoff
    }
}
