import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// A Kafka consumer: partitions assigned by hand, or a group subscription with commits.
///
/// ```swift
/// let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(groupId: "billing"))
/// try await consumer.subscribe(topics: ["orders"])
/// while true {
///     for record in try await consumer.poll(timeout: .seconds(1)) { handle(record) }
/// }
/// ```
///
/// Fetching runs ahead of `poll` in the background (one loop per leader broker). With
/// `enableAutoCommit`, what `poll` handed out is committed every `autoCommitInterval`, before a
/// rebalance (with the consumer protocol: before partitions are given up) and on ``close()``.
/// Cancelling the task waiting in `poll` makes it throw `CancellationError` at once.
public final class KafkaConsumer: Sendable {
    enum Mode: Sendable {
        case idle, manual
        case group(GroupMembership, Task<Void, Never>)
        /// KIP-848's consumer protocol.
        case consumerGroup(ConsumerProtocolMembership, Task<Void, Never>)
    }

    struct State: Sendable {
        var mode: Mode = .idle
        /// The offset after the last record handed out, per assigned partition.
        var consumed: [TopicPartition: Int64] = [:]
        var assignment: [TopicPartition] = []
        var closed = false
    }

    public let client: KafkaClient
    public let configuration: ConsumerConfiguration
    let state = NIOLockedValueBox(State())
    let buffer: RecordBuffer
    let fetcher: Fetcher
    let coordinator: GroupCoordinator?

    public init(client: KafkaClient, configuration: ConsumerConfiguration = ConsumerConfiguration()) {
        self.client = client
        self.configuration = configuration
        self.buffer = RecordBuffer(capacity: configuration.bufferBytes)
        self.fetcher = Fetcher(client: client, configuration: configuration, buffer: buffer)
        self.coordinator = configuration.groupId.map { GroupCoordinator(client: client, groupId: $0) }
    }

    /// The partitions currently assigned.
    public var assignment: [TopicPartition] { state.withLockedValue { $0.assignment.sorted() } }

    /// The offset after the last record `poll` returned for `tp`.
    public func position(_ tp: TopicPartition) -> Int64? { state.withLockedValue { $0.consumed[tp] } }

    /// Where the fetches of `tp` have got to: at or past ``position(_:)``, past the markers and
    /// aborted records a read_committed consumer skips.
    public func fetchPosition(_ tp: TopicPartition) -> Int64? { fetcher.fetchPosition(tp) }

    /// The high watermark seen in the latest fetch of `tp`.
    public func highWatermark(_ tp: TopicPartition) -> Int64? { fetcher.highWatermark(tp) }

    // MARK: Assignment

    /// Reads exactly these partitions, from the given positions (no group membership; commits
    /// still work when a group id is configured).
    public func assign(_ partitions: [TopicPartition: StartPosition]) async throws {
        try checkOpen()
        let positions = try await resolve(partitions)
        state.withLockedValue { s in
            s.mode = .manual
            s.assignment = Array(positions.keys)
            s.consumed = positions
        }
        fetcher.assign(positions)
    }

    /// Joins the consumer group and reads the partitions it assigns, from the committed offsets
    /// (or `autoOffsetReset`). Rebalances are handled in the background.
    public func subscribe(topics: [String]) async throws {
        try checkOpen()
        guard let coordinator else {
            throw KafkaClientError(.invalidArgument, "subscribing needs a group id (ConsumerConfiguration.groupId)")
        }
        guard !topics.isEmpty else { throw KafkaClientError(.invalidArgument, "no topics to subscribe to") }
        if configuration.groupProtocol == .consumer {
            try await subscribeWithConsumerProtocol(coordinator, topics: topics)
            return
        }
        let membership = GroupMembership(coordinator: coordinator, configuration: configuration, topics: topics)
        try await rejoin(membership)
        let task = Task { await self.coordinate(membership) }
        state.withLockedValue { $0.mode = .group(membership, task) }
    }

    private func rejoin(_ membership: GroupMembership) async throws {
        let partitions = try await membership.join()
        let positions = try await resolve(Dictionary(uniqueKeysWithValues: partitions.map { ($0, StartPosition.committed) }))
        state.withLockedValue { s in
            s.assignment = partitions
            s.consumed = positions
        }
        fetcher.assign(positions)
    }

    /// Heartbeats, auto-commits, and rejoins when the group rebalances. Each runs on its own
    /// schedule: an auto-commit interval shorter than the heartbeat interval is honoured.
    private func coordinate(_ membership: GroupMembership) async {
        let clock = ContinuousClock()
        var nextCommit = clock.now + configuration.autoCommitInterval
        var nextHeartbeat = clock.now + configuration.heartbeatInterval
        var failures = 0
        while !Task.isCancelled {
            let wake = configuration.enableAutoCommit ? min(nextCommit, nextHeartbeat) : nextHeartbeat
            try? await Task.sleep(until: wake, clock: clock)
            if Task.isCancelled { return }
            if configuration.enableAutoCommit && clock.now >= nextCommit {
                try? await commit()
                nextCommit = clock.now + configuration.autoCommitInterval
            }
            guard clock.now >= nextHeartbeat else { continue }
            nextHeartbeat = clock.now + configuration.heartbeatInterval
            do {
                if try await membership.heartbeat() == .rebalance {
                    if configuration.enableAutoCommit { try? await commit() }
                    try await rejoin(membership)
                }
                failures = 0
            } catch is CancellationError {
                return
            } catch let error as KafkaClientError {
                failures += 1
                if !error.isRetriable || failures > 5 {
                    buffer.fail(error, generation: buffer.generation)
                }
                try? await Task.sleep(for: client.configuration.retry.backoff(afterAttempt: failures))
            } catch {
                failures += 1
            }
        }
    }

    /// Turns start positions into offsets.
    func resolve(_ partitions: [TopicPartition: StartPosition]) async throws -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        var queries: [TopicPartition: OffsetQuery] = [:]
        var fromCommits: [TopicPartition] = []
        for (tp, position) in partitions {
            switch position {
            case let .offset(o) where o >= 0: result[tp] = o
            case .offset: throw KafkaClientError(.invalidArgument, "negative offset", resource: "partition \(tp)")
            case .earliest: queries[tp] = .earliest
            case .latest: queries[tp] = .latest
            case let .timestamp(t): queries[tp] = .timestamp(t)
            case .committed: fromCommits.append(tp)
            }
        }
        if !fromCommits.isEmpty {
            guard let coordinator else {
                throw KafkaClientError(.invalidArgument, "starting from committed offsets needs a group id")
            }
            let committed = try await coordinator.committed(fromCommits)
            for tp in fromCommits {
                if let c = committed[tp] {
                    result[tp] = c.offset
                    continue
                }
                switch configuration.autoOffsetReset {
                case .earliest: queries[tp] = .earliest
                case .latest: queries[tp] = .latest
                case .none:
                    throw KafkaClientError(.invalidArgument, "no committed offset and auto.offset.reset is none",
                                           resource: "\(coordinator.resource), partition \(tp)")
                }
            }
        }
        if !queries.isEmpty {
            // A topic created a moment ago may not have reached every broker yet: wait for it.
            for topic in Set(queries.keys.map(\.topic)).sorted() {
                _ = try await client.waitForTopic(topic, allowAutoTopicCreation: false, timeout: configuration.defaultApiTimeout)
            }
            for (tp, offset) in try await client.listOffsets(queries, isolationLevel: configuration.isolationLevel) { result[tp] = offset }
        }
        return result
    }

    /// Moves a partition's position; the next records of `tp` start there.
    public func seek(_ tp: TopicPartition, to position: StartPosition) async throws {
        let offset = try await resolve([tp: position])[tp]!
        state.withLockedValue { $0.consumed[tp] = offset }
        fetcher.seek(tp, to: offset)
    }

    // MARK: Reading

    /// Up to `maxRecords` records, waiting at most `timeout` for the first; an empty array when
    /// none arrived in time. Throws fetch errors that are not retriable.
    public func poll(maxRecords: Int = 500, timeout: Duration = .seconds(1)) async throws -> [ConsumerRecord] {
        try checkOpen()
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        let eventLoop = client.group.next()
        while true {
            if let records = try buffer.take(max: max(1, maxRecords)) {
                state.withLockedValue { s in
                    for r in records { s.consumed[r.topicPartition] = r.offset + 1 }
                }
                return records
            }
            try Task.checkCancellation()
            if NIODeadline.now() >= deadline { return [] }
            await withTaskCancellationHandler {
                await buffer.waitForRecords(until: deadline, eventLoop: eventLoop)
            } onCancel: {
                buffer.wake()
            }
        }
    }

    /// The records one at a time, waiting as long as it takes.
    public var records: ConsumerRecordSequence { ConsumerRecordSequence(consumer: self) }

    // MARK: Commits

    /// Commits the positions `poll` has reached.
    public func commit() async throws {
        let offsets = state.withLockedValue { $0.consumed }
        try await commit(offsets)
    }

    /// Commits the given next offsets (the offset after the last processed record).
    public func commit(_ offsets: [TopicPartition: Int64]) async throws {
        guard let coordinator else { throw KafkaClientError(.invalidArgument, "committing needs a group id") }
        var identity: (generation: Int32, memberId: String) = (-1, "")
        switch state.withLockedValue({ $0.mode }) {
        case let .group(membership, _): identity = await membership.identity
        case let .consumerGroup(membership, _): identity = await membership.identity
        case .idle, .manual: break
        }
        try await coordinator.commit(offsets.mapValues { CommittedOffset(offset: $0) },
                                     generation: identity.generation, memberId: identity.memberId)
    }

    /// The group's committed offsets for `partitions` (absent: none committed).
    public func committed(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Int64] {
        guard let coordinator else { throw KafkaClientError(.invalidArgument, "committed offsets need a group id") }
        return try await coordinator.committed(partitions).mapValues(\.offset)
    }

    /// Stops fetching; with auto-commit, commits; leaves the group. The client stays open.
    public func close() async {
        let mode = state.withLockedValue { s -> Mode in
            s.closed = true
            return s.mode
        }
        fetcher.stop()
        switch mode {
        case let .group(membership, task):
            task.cancel()
            await task.value
            if configuration.enableAutoCommit { try? await commit() }
            await membership.leave()
        case let .consumerGroup(membership, task):
            task.cancel()
            await task.value
            if configuration.enableAutoCommit { try? await commit() }
            await membership.leave()
        case .manual where configuration.enableAutoCommit && coordinator != nil:
            try? await commit()
        case .manual, .idle:
            break
        }
        buffer.close()
    }

    private func checkOpen() throws {
        if state.withLockedValue({ $0.closed }) { throw KafkaClientError(.closed, "the consumer is closed") }
    }
}

/// The consumer's records as an `AsyncSequence`; iteration ends when the task is cancelled.
public struct ConsumerRecordSequence: AsyncSequence, Sendable {
    public typealias Element = ConsumerRecord
    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var pending: [ConsumerRecord] = []
        var index = 0

        public mutating func next() async throws -> ConsumerRecord? {
            while index >= pending.count {
                if Task.isCancelled { return nil }
                do {
                    pending = try await consumer.poll(timeout: .seconds(1))
                } catch is CancellationError {
                    return nil
                }
                index = 0
            }
            defer { index += 1 }
            return pending[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}
