import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// Fetches the assigned partitions ahead of `poll`: one loop per leader broker, each sending
/// Fetch requests for the partitions that broker leads and pushing the records into the
/// ``RecordBuffer``.
///
/// Loops are started for leaders as needed and end when their broker leads none of the assigned
/// partitions any more (after a leader change, metadata is refreshed and a loop for the new
/// leader starts). An assignment change or a seek starts a new generation: older loops stop and
/// their records are dropped.
final class Fetcher: Sendable {
    private struct State: Sendable {
        /// The next offset to fetch per partition.
        var positions: [TopicPartition: Int64] = [:]
        var loops: [Int32: (generation: UInt64, task: Task<Void, Never>)] = [:]
        var highWatermarks: [TopicPartition: Int64] = [:]
        var closed = false
    }

    private let state = NIOLockedValueBox(State())
    private let client: KafkaClient
    private let configuration: ConsumerConfiguration
    let buffer: RecordBuffer

    init(client: KafkaClient, configuration: ConsumerConfiguration, buffer: RecordBuffer) {
        self.client = client
        self.configuration = configuration
        self.buffer = buffer
    }

    /// Replaces the assignment with `positions` (next offset per partition) and starts fetching.
    func assign(_ positions: [TopicPartition: Int64]) {
        let old = state.withLockedValue { s -> [Task<Void, Never>] in
            s.positions = positions
            defer { s.loops.removeAll() }
            return s.loops.values.map(\.task)
        }
        for task in old { task.cancel() }
        buffer.reset()
        ensureLoops()
    }

    /// Moves one partition's fetch position (records already buffered are dropped).
    func seek(_ tp: TopicPartition, to offset: Int64) {
        let old = state.withLockedValue { s -> [Task<Void, Never>] in
            s.positions[tp] = offset
            defer { s.loops.removeAll() }
            return s.loops.values.map(\.task)
        }
        for task in old { task.cancel() }
        buffer.reset()
        ensureLoops()
    }

    var assignment: [TopicPartition] { state.withLockedValue { Array($0.positions.keys) } }

    /// The high watermark seen in the last fetch of a partition.
    func highWatermark(_ tp: TopicPartition) -> Int64? { state.withLockedValue { $0.highWatermarks[tp] } }

    /// The offset the next fetch of `tp` starts at: past control batches and aborted
    /// transactions' records too, which no record delivered shows.
    func fetchPosition(_ tp: TopicPartition) -> Int64? { state.withLockedValue { $0.positions[tp] } }

    func stop() {
        let tasks = state.withLockedValue { s -> [Task<Void, Never>] in
            s.closed = true
            defer { s.loops.removeAll() }
            return s.loops.values.map(\.task)
        }
        for t in tasks { t.cancel() }
    }

    /// Starts a loop for every leader of an assigned partition that has none.
    func ensureLoops() {
        let metadata = client.cachedMetadata
        let generation = buffer.generation
        state.withLockedValue { s in
            guard !s.closed else { return }
            var leaders = Set<Int32>()
            var unknown = false
            for tp in s.positions.keys {
                if let leader = metadata.leader(for: tp)?.nodeId { leaders.insert(leader) } else { unknown = true }
            }
            if unknown && s.loops[-1] == nil {
                // No leader known for some partition: a loop under node -1 waits for metadata.
                leaders.insert(-1)
            }
            for node in leaders where s.loops[node] == nil || s.loops[node]!.generation != generation {
                s.loops[node]?.task.cancel()
                let task = Task { await self.loop(node: node, generation: generation) }
                s.loops[node] = (generation, task)
            }
        }
    }

    private func partitions(for node: Int32, metadata: ClusterMetadata) -> [(TopicPartition, Int64)] {
        state.withLockedValue { s in
            s.positions.compactMap { tp, offset in
                let leader = metadata.leader(for: tp)?.nodeId ?? -1
                return leader == node ? (tp, offset) : nil
            }
        }
    }

    private func endLoop(node: Int32, generation: UInt64) {
        state.withLockedValue { s in
            if s.loops[node]?.generation == generation { s.loops[node] = nil }
        }
    }

    private func loop(node: Int32, generation: UInt64) async {
        var failures = 0
        while !Task.isCancelled && buffer.generation == generation {
            if node == -1 {
                // Waiting for leaders: refresh metadata, then hand the partitions to their leaders' loops.
                let topics = Array(Set(state.withLockedValue { $0.positions.keys.map(\.topic) }))
                _ = try? await client.metadata(topics: topics, refresh: true)
                if !partitions(for: -1, metadata: client.cachedMetadata).isEmpty {
                    // Still no leader: wait before the next look (the loop that replaces this one asks at once).
                    try? await Task.sleep(for: client.configuration.retry.backoff(afterAttempt: 3))
                }
                endLoop(node: -1, generation: generation)
                ensureLoops()
                return
            }
            let parts = partitions(for: node, metadata: client.cachedMetadata)
            if parts.isEmpty {
                endLoop(node: node, generation: generation)
                return
            }
            await buffer.waitForRoom()
            if Task.isCancelled { return }
            do {
                let leadershipChanged = try await fetchOnce(node: node, partitions: parts, generation: generation)
                failures = 0
                if leadershipChanged {
                    _ = try? await client.metadata(topics: Array(Set(parts.map(\.0.topic))), refresh: true)
                    ensureLoops()
                }
            } catch is CancellationError {
                return
            } catch let error as KafkaClientError where error.isRetriable {
                failures += 1
                client.invalidateMetadata()
                try? await Task.sleep(for: client.configuration.retry.backoff(afterAttempt: failures))
                _ = try? await client.metadata(topics: Array(Set(parts.map(\.0.topic))), refresh: true)
                ensureLoops()
            } catch let error as KafkaClientError {
                buffer.fail(error, generation: generation)
                try? await Task.sleep(for: client.configuration.retry.maxBackoff)
            } catch {
                buffer.fail(KafkaClientError(.connection, "\(error)"), generation: generation)
                try? await Task.sleep(for: client.configuration.retry.maxBackoff)
            }
        }
    }

    /// One Fetch to `node`; returns true when some partition's leader has moved.
    private func fetchOnce(node: Int32, partitions: [(TopicPartition, Int64)], generation: UInt64) async throws -> Bool {
        let connection = try await client.connection(toNode: node)
        var topics: [String: [FetchRequest.FetchPartition]] = [:]
        for (tp, offset) in partitions {
            topics[tp.topic, default: []].append(FetchRequest.FetchPartition(
                partition: tp.partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1,
                logStartOffset: -1, partitionMaxBytes: configuration.maxPartitionFetchBytes))
        }
        var request = FetchRequest()
        request.replicaId = -1
        request.maxWaitMs = Int32(clamping: configuration.fetchMaxWait.nanoseconds / 1_000_000)
        request.minBytes = configuration.fetchMinBytes
        request.maxBytes = configuration.fetchMaxBytes
        request.isolationLevel = configuration.isolationLevel.rawValue
        request.sessionId = 0
        request.sessionEpoch = -1
        request.topics = topics.map { FetchRequest.FetchTopic(topic: $0.key, partitions: $0.value) }
        let response: FetchResponse
        do {
            response = try await connection.send(request, timeout: client.configuration.requestTimeout + configuration.fetchMaxWait)
        } catch let error as KafkaClientError where error.kind == .connection || error.kind == .timeout {
            await client.discard(connection)
            throw error
        }
        try ErrorCode(response.errorCode).check(resource: connection.description)
        let requested = Dictionary(uniqueKeysWithValues: partitions.map { ($0.0, $0.1) })
        var leadershipChanged = false
        for topic in response.responses {
            for p in topic.partitions {
                let tp = TopicPartition(topic.topic, p.partitionIndex)
                guard let position = requested[tp] else { continue }
                let code = ErrorCode(p.errorCode)
                switch code {
                case .noError:
                    try deliver(p, tp: tp, position: position, generation: generation)
                case .offsetOutOfRange:
                    try await resetOutOfRange(tp, position: position, generation: generation)
                default:
                    let error = KafkaClientError.broker(code, resource: "partition \(tp)")
                    if error.invalidatesMetadata || error.isRetriable {
                        leadershipChanged = true
                    } else {
                        buffer.fail(error, generation: generation)
                    }
                }
            }
        }
        if leadershipChanged { client.invalidateMetadata() }
        return leadershipChanged
    }

    private func deliver(_ p: FetchResponse.PartitionData, tp: TopicPartition, position: Int64, generation: UInt64) throws {
        // read_committed: the end is the last stable offset (what the consumer can reach).
        let readCommitted = configuration.isolationLevel == .readCommitted
        state.withLockedValue { $0.highWatermarks[tp] = readCommitted && p.lastStableOffset >= 0 ? p.lastStableOffset : p.highWatermark }
        guard let payload = p.records?.bytes, payload.readableBytes > 0 else { return }
        var records: [ConsumerRecord] = []
        var next = position
        var sequence = RecordBatchSequence(payload)
        // Aborted transactions the response lists, by first offset; a producer's batches are
        // skipped from its transaction's first offset to its ABORT marker (Kafka's consumer).
        var aborted = readCommitted ? (p.abortedTransactions ?? []).sorted { $0.firstOffset < $1.firstOffset }[...] : []
        var abortedProducers: Set<Int64> = []
        while let batch = sequence.next() {
            if batch.nextOffset <= position { continue }
            do {
                try batch.validate()
            } catch {
                throw KafkaClientError(.protocolViolation, "corrupt record batch at offset \(batch.baseOffset): \(error)",
                                       resource: "partition \(tp)")
            }
            next = max(next, batch.nextOffset)
            while let first = aborted.first, first.firstOffset <= batch.lastOffset {
                abortedProducers.insert(first.producerId)
                aborted.removeFirst()
            }
            if batch.isControl {
                if batch.isTransactional, let marker = EndTransactionMarker(controlBatch: batch), !marker.commit {
                    abortedProducers.remove(batch.producerId)
                }
                continue
            }
            if batch.isTransactional && abortedProducers.contains(batch.producerId) { continue }
            let decoded: [Record]
            do {
                decoded = try batch.records()
            } catch {
                throw KafkaClientError(.protocolViolation, "undecodable record batch at offset \(batch.baseOffset): \(error)",
                                       resource: "partition \(tp)")
            }
            let type = batch.attributes.timestampType
            for r in decoded where r.offset >= position {
                records.append(ConsumerRecord(topic: tp.topic, partition: tp.partition, offset: r.offset, timestamp: r.timestamp,
                                              timestampType: type, key: r.key, value: r.value, headers: r.headers))
            }
        }
        if let error = sequence.error {
            throw KafkaClientError(.protocolViolation, "malformed record set: \(error)", resource: "partition \(tp)")
        }
        if next == position && sequence.trailingBytes > 0 {
            throw KafkaClientError.broker(.recordListTooLarge, resource: "partition \(tp)",
                                          message: "a record batch at offset \(position) is larger than max.partition.fetch.bytes (\(configuration.maxPartitionFetchBytes))")
        }
        let moved = state.withLockedValue { s -> Bool in
            guard buffer.generation == generation, s.positions[tp] == position else { return false }
            s.positions[tp] = next
            return true
        }
        if moved { buffer.push(records, partition: tp, bytes: payload.readableBytes, generation: generation) }
    }

    private func resetOutOfRange(_ tp: TopicPartition, position: Int64, generation: UInt64) async throws {
        let query: OffsetQuery
        switch configuration.autoOffsetReset {
        case .earliest: query = .earliest
        case .latest: query = .latest
        case .none:
            buffer.fail(KafkaClientError.broker(.offsetOutOfRange, resource: "partition \(tp)",
                                                message: "offset \(position) is out of range and auto.offset.reset is none"),
                        generation: generation)
            return
        }
        let offsets = try await client.listOffsets([tp: query], isolationLevel: configuration.isolationLevel)
        guard let offset = offsets[tp] else { return }
        state.withLockedValue { s in
            if buffer.generation == generation, s.positions[tp] == position { s.positions[tp] = offset }
        }
    }
}
