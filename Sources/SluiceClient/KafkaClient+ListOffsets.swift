import KafkaProtocol
import SluiceBase

/// Which offset of a partition to look up.
public enum OffsetQuery: Sendable, Hashable {
    /// The log start offset (ListOffsets timestamp -2).
    case earliest
    /// The log end offset: the offset the next record will get (timestamp -1).
    case latest
    /// The first offset whose record timestamp is at or after this many ms since the epoch;
    /// the log end offset when there is none.
    case timestamp(Int64)

    var wireTimestamp: Int64 {
        switch self {
        case .earliest: return -2
        case .latest: return -1
        case let .timestamp(t): return t
        }
    }
}

extension KafkaClient {
    /// Looks up offsets with ListOffsets, one request per partition leader, retrying partitions
    /// whose leader moved. With `.readCommitted`, latest is the last stable offset (the first
    /// offset of the oldest open transaction, or the high watermark).
    public func listOffsets(_ queries: [TopicPartition: OffsetQuery],
                            isolationLevel: IsolationLevel = .readUncommitted) async throws -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        var pending = queries
        var attempt = 1
        while !pending.isEmpty {
            let metadata = try await metadata(topics: Array(Set(pending.keys.map(\.topic))), refresh: attempt > 1)
            var byLeader: [Int32: [TopicPartition]] = [:]
            var lastError: KafkaClientError?
            for tp in pending.keys {
                guard let topic = metadata.topics[tp.topic] else {
                    throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "topic '\(tp.topic)'")
                }
                if topic.error == .unknownTopicOrPartition || (topic.error == .noError && topic.partition(tp.partition) == nil) {
                    throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "partition \(tp)")
                }
                guard let leader = topic.partition(tp.partition)?.leader, leader >= 0 else {
                    lastError = KafkaClientError.broker(.leaderNotAvailable, resource: "partition \(tp)")
                    continue
                }
                byLeader[leader, default: []].append(tp)
            }
            try await withThrowingTaskGroup(of: ([TopicPartition: Int64], [TopicPartition: KafkaClientError]).self) { group in
                for (leader, partitions) in byLeader {
                    let queries = pending
                    group.addTask {
                        try await self.listOffsets(partitions, queries: queries, isolationLevel: isolationLevel, leader: leader)
                    }
                }
                for try await (found, failed) in group {
                    for (tp, offset) in found {
                        result[tp] = offset
                        pending[tp] = nil
                    }
                    for (_, error) in failed {
                        guard error.isRetriable else { throw error }
                        lastError = error
                    }
                }
            }
            if pending.isEmpty { break }
            guard attempt < configuration.retry.maxAttempts else {
                throw lastError ?? KafkaClientError(.timeout, "ListOffsets did not complete")
            }
            invalidateMetadata()
            try await Task.sleep(for: configuration.retry.backoff(afterAttempt: attempt))
            attempt += 1
        }
        return result
    }

    private func listOffsets(_ partitions: [TopicPartition], queries: [TopicPartition: OffsetQuery],
                             isolationLevel: IsolationLevel,
                             leader: Int32) async throws -> ([TopicPartition: Int64], [TopicPartition: KafkaClientError]) {
        let connection: BrokerConnection
        do {
            connection = try await self.connection(toNode: leader)
        } catch let error as KafkaClientError where error.isRetriable {
            return ([:], Dictionary(uniqueKeysWithValues: partitions.map { ($0, error) }))
        }
        var topics: [String: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
        for tp in partitions {
            topics[tp.topic, default: []].append(ListOffsetsRequest.ListOffsetsPartition(
                partitionIndex: tp.partition, currentLeaderEpoch: -1, timestamp: queries[tp]!.wireTimestamp, maxNumOffsets: 1))
        }
        let request = ListOffsetsRequest(replicaId: -1, isolationLevel: isolationLevel.rawValue,
                                         topics: topics.map { ListOffsetsRequest.ListOffsetsTopic(name: $0.key, partitions: $0.value) })
        let response: ListOffsetsResponse
        do {
            response = try await connection.send(request)
        } catch let error as KafkaClientError where error.isRetriable {
            await discard(connection)
            return ([:], Dictionary(uniqueKeysWithValues: partitions.map { ($0, error) }))
        }
        var found: [TopicPartition: Int64] = [:]
        var failed: [TopicPartition: KafkaClientError] = [:]
        for topic in response.topics {
            for p in topic.partitions {
                let tp = TopicPartition(topic.name, p.partitionIndex)
                let code = ErrorCode(p.errorCode)
                if code == .noError {
                    // A timestamp query past the last record answers -1: the log end is next.
                    found[tp] = p.offset
                } else {
                    failed[tp] = KafkaClientError.broker(code, resource: "partition \(tp)")
                }
            }
        }
        for tp in partitions where found[tp] == nil && failed[tp] == nil {
            failed[tp] = KafkaClientError(.protocolViolation, "no answer for the partition", resource: "partition \(tp)")
        }
        // Timestamp lookups with no record at or after the time: use the log end, as Kafka's consumer does.
        let unresolved = found.filter { $0.value < 0 && queries[$0.key] != .latest && queries[$0.key] != .earliest }.map(\.key)
        if !unresolved.isEmpty {
            let ends = try await self.listOffsets(Dictionary(uniqueKeysWithValues: unresolved.map { ($0, OffsetQuery.latest) }))
            for (tp, end) in ends { found[tp] = end }
        }
        return (found, failed)
    }
}
