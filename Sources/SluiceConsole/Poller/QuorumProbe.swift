import KafkaProtocol
import SluiceClient
import Synchronization

/// Asks the cluster about its metadata quorum — DescribeQuorum (API 55), which a broker forwards
/// to the active controller, as Kafka's brokers do — in the background, never holding a poll up.
///
/// Without a quorum there is no active controller, and a forwarded DescribeQuorum waits (Sluice's
/// brokers for up to 30 s) for one to appear: the request goes on a client of its own (a broker
/// answers a connection's requests in order, so it would hold up the poll's next ones), with one
/// request at a time, and the poll only reads what the last answer said and since when the cluster
/// has been silent.
public final class QuorumProbe: Sendable {
    private struct State {
        var inFlight = false
        /// Once the cluster says it does not serve DescribeQuorum (an older cluster, or ACLs), it is not asked again.
        var unavailable: String?
        var last = ObservedQuorum()
    }

    private let client: KafkaClient
    private let timeout: Duration
    private let state = Mutex(State())

    /// `client`: one of its own (client id `sluice-console-quorum`).
    public init(client: KafkaClient, timeout: Duration = .seconds(5)) {
        self.client = client
        self.timeout = timeout
    }

    /// What is known now; starts a request when none is in flight. Nil when the cluster does not
    /// answer DescribeQuorum at all (then only the brokers' reachability tells a lost quorum).
    public func observe() -> ObservedQuorum? {
        let now = Clocks.monotonic()
        let (send, known) = state.withLock { s -> (Bool, ObservedQuorum?) in
            guard s.unavailable == nil else { return (false, nil) }
            var send = false
            if !s.inFlight {
                s.inFlight = true
                send = true
                if s.last.unansweredSince == nil { s.last.unansweredSince = now }
            }
            return (send, s.last)
        }
        if send { Task { await ask() } }
        return known
    }

    private func ask() async {
        let outcome: Result<DescribeQuorumResponse, any Error>
        do {
            outcome = .success(try await withTimeout(timeout, "DescribeQuorum") { [client, timeout] in
                let connection = try await client.anyConnection()
                guard let range = connection.versions.broker[.describeQuorum], range.lowerBound <= 2 else {
                    throw KafkaClientError(.unsupportedVersion(.describeQuorum), "the cluster does not serve DescribeQuorum")
                }
                return try await connection.send(DescribeQuorumRequest(topics: [.init(topicName: "__cluster_metadata",
                                                                                      partitions: [.init(partitionIndex: 0)])]),
                                                 version: min(range.upperBound, 2), timeout: timeout)
            })
        } catch {
            outcome = .failure(error)
        }
        let now = Clocks.monotonic()
        state.withLock { s in
            s.inFlight = false
            switch outcome {
            case .success(let response):
                let partition = response.topics.first?.partitions.first
                let code = ErrorCode(response.errorCode != 0 ? response.errorCode : partition?.errorCode ?? 0)
                if let partition, !code.isError, partition.leaderId >= 0 {
                    s.last = ObservedQuorum(leaderID: partition.leaderId, epoch: partition.leaderEpoch,
                                            voters: partition.currentVoters.map(\.replicaId).sorted(), answeredAt: now)
                } else if let partition, !code.isError {
                    // No leader: an election under way (seconds at most), or no quorum. Only the
                    // time without a leader tells which, as for no answer at all.
                    s.last.leaderID = -1
                    s.last.voters = partition.currentVoters.map(\.replicaId).sorted()
                    s.last.lastError = "no leader"
                } else if Self.isRefusal(code) {
                    s.unavailable = code.name
                } else {
                    s.last.lastError = partition == nil && !code.isError ? "an answer without the quorum's partition"
                        : code.name + ((partition?.errorMessage ?? response.errorMessage).map { ": \($0)" } ?? "")
                }
            case .failure(let error):
                if case .unsupportedVersion? = (error as? KafkaClientError)?.kind {
                    s.unavailable = KafkaClusterSource.words(error)
                } else {
                    s.last.lastError = KafkaClusterSource.words(error)
                }
            }
        }
    }

    /// Answers that mean "not for you" rather than "no controller": DescribeQuorum is then not asked again.
    static func isRefusal(_ code: ErrorCode) -> Bool {
        code == .clusterAuthorizationFailed || code == .unsupportedVersion || code == .invalidRequest
    }
}

/// What DescribeQuorum said last, and how long the cluster has been silent since.
public struct ObservedQuorum: Sendable, Equatable {
    /// The quorum's leader (the active controller) at the last answer; -1: the last answer named
    /// none; nil: never answered.
    public var leaderID: Int32?
    public var epoch: Int32
    /// The voters at the last answer (empty until one).
    public var voters: [Int32]
    /// Monotonic seconds of the last answer.
    public var answeredAt: Double?
    /// Monotonic seconds when the oldest request not answered (with a leader) since the last
    /// answer was sent; nil when the last request was answered with a leader.
    public var unansweredSince: Double?
    /// Why the last request failed, in words.
    public var lastError: String?

    public init(leaderID: Int32? = nil, epoch: Int32 = 0, voters: [Int32] = [], answeredAt: Double? = nil,
                unansweredSince: Double? = nil, lastError: String? = nil) {
        self.leaderID = leaderID
        self.epoch = epoch
        self.voters = voters
        self.answeredAt = answeredAt
        self.unansweredSince = unansweredSince
        self.lastError = lastError
    }
}
