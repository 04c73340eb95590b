import KafkaProtocol
import NIOConcurrencyHelpers
import SluiceBase

/// A committed offset and its metadata string.
public struct CommittedOffset: Sendable, Hashable {
    public var offset: Int64
    public var metadata: String?

    public init(offset: Int64, metadata: String? = nil) {
        self.offset = offset
        self.metadata = metadata
    }
}

/// Finds a group's coordinator (FindCoordinator) and talks to it: offset commits and fetches for
/// anyone, and the membership requests of ``GroupMembership``. A coordinator that moved
/// (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) is looked up again and the request retried.
final class GroupCoordinator: Sendable {
    let client: KafkaClient
    let groupId: String
    private let cached = NIOLockedValueBox<BrokerConnection?>(nil)

    init(client: KafkaClient, groupId: String) {
        self.client = client
        self.groupId = groupId
    }

    var resource: String { "group '\(groupId)'" }

    /// The coordinator's connection, looked up when unknown or broken: a connection of its own to
    /// that broker (``ConnectionPool/Purpose/coordinator``), so a JoinGroup waiting for a rebalance
    /// holds back nothing else.
    func connection() async throws -> BrokerConnection {
        if let c = cached.withLockedValue({ $0 }), c.isActive { return c }
        let key = groupId
        let response = try await client.withAnyBroker("FindCoordinator", policy: RetryPolicy.none) {
            try await $0.send(FindCoordinatorRequest(key: key, keyType: 0))
        }
        try ErrorCode(response.errorCode).check(resource: resource, message: response.errorMessage)
        let connection = try await client.pool.connection(
            node: response.nodeId, address: BrokerAddress(host: response.host, port: Int(response.port)), purpose: .coordinator)
        cached.withLockedValue { $0 = connection }
        return connection
    }

    /// Forgets the coordinator, so the next request looks it up again.
    func forget() {
        cached.withLockedValue { $0 = nil }
    }

    /// Sends a request to the coordinator, retrying when the coordinator moved or is loading.
    /// `errorCode` extracts the response's top-level error (nil: none to check here).
    func send<R: KafkaRequest>(_ request: R, timeout: Duration? = nil,
                               errorCode: @Sendable (R.Response) -> Int16? = { _ in nil }) async throws -> R.Response {
        try await client.withRetries(R.apiKey.name) {
            let connection = try await self.connection()
            let response: R.Response
            do {
                response = try await connection.send(request, timeout: timeout)
            } catch let error as KafkaClientError where error.kind == .connection || error.kind == .timeout {
                forget()
                throw error
            }
            if let raw = errorCode(response) {
                let code = ErrorCode(raw)
                if code == .notCoordinator || code == .coordinatorNotAvailable {
                    forget()
                }
                if code == .notCoordinator || code == .coordinatorNotAvailable || code == .coordinatorLoadInProgress {
                    throw KafkaClientError.broker(code, resource: resource)
                }
            }
            return response
        }
    }

    // MARK: Offsets

    /// Commits offsets. Members pass their generation and member id; anyone else (admin tools,
    /// consumers without a group membership) commits as generation -1 with an empty member id,
    /// which Kafka accepts for an empty group.
    func commit(_ offsets: [TopicPartition: CommittedOffset], generation: Int32 = -1, memberId: String = "") async throws {
        guard !offsets.isEmpty else { return }
        var topics: [String: [OffsetCommitRequest.OffsetCommitRequestPartition]] = [:]
        for (tp, committed) in offsets {
            topics[tp.topic, default: []].append(OffsetCommitRequest.OffsetCommitRequestPartition(
                partitionIndex: tp.partition, committedOffset: committed.offset, committedLeaderEpoch: -1,
                commitTimestamp: -1, committedMetadata: committed.metadata ?? ""))
        }
        let request = OffsetCommitRequest(
            groupId: groupId, generationIdOrMemberEpoch: generation, memberId: memberId, groupInstanceId: nil,
            retentionTimeMs: -1,
            topics: topics.keys.sorted().map { OffsetCommitRequest.OffsetCommitRequestTopic(name: $0, partitions: topics[$0]!) })
        let response = try await send(request) { r in
            // Coordinator errors are per partition here; surface the first so that `send` can retry.
            r.topics.lazy.flatMap(\.partitions).map(\.errorCode).first {
                let c = ErrorCode($0)
                return c == .notCoordinator || c == .coordinatorNotAvailable || c == .coordinatorLoadInProgress
            }
        }
        for topic in response.topics {
            for p in topic.partitions {
                try ErrorCode(p.errorCode).check(resource: "\(resource), partition \(topic.name)-\(p.partitionIndex)")
            }
        }
    }

    /// The committed offsets of `partitions` (nil: every partition the group has committed).
    /// Partitions with no commit are absent from the result.
    func committed(_ partitions: [TopicPartition]?) async throws -> [TopicPartition: CommittedOffset] {
        var request = OffsetFetchRequest(groupId: groupId)
        if let partitions {
            var topics: [String: [Int32]] = [:]
            for tp in partitions { topics[tp.topic, default: []].append(tp.partition) }
            request.topics = topics.keys.sorted().map { OffsetFetchRequest.OffsetFetchRequestTopic(name: $0, partitionIndexes: topics[$0]!) }
        } else {
            request.topics = nil
        }
        let connection = try await connection()
        if partitions == nil, let version = connection.version(for: .offsetFetch), version < 2 {
            throw KafkaClientError(.unsupportedVersion(.offsetFetch), "listing all of a group's offsets needs OffsetFetch v2",
                                   resource: connection.description)
        }
        let response = try await send(request) { r in
            if r.errorCode != 0 { return r.errorCode }
            return r.topics.lazy.flatMap(\.partitions).map(\.errorCode).first { $0 != 0 }
        }
        try ErrorCode(response.errorCode).check(resource: resource)
        var result: [TopicPartition: CommittedOffset] = [:]
        for topic in response.topics {
            for p in topic.partitions {
                let code = ErrorCode(p.errorCode)
                if code == .unknownTopicOrPartition { continue }
                try code.check(resource: "\(resource), partition \(topic.name)-\(p.partitionIndex)")
                if p.committedOffset >= 0 {
                    result[TopicPartition(topic.name, p.partitionIndex)] = CommittedOffset(offset: p.committedOffset, metadata: p.metadata)
                }
            }
        }
        return result
    }
}
