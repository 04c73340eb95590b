import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import Testing
@testable import SluiceClient

/// The peer's side of produce for these tests: it checks idempotent sequence numbers the way a
/// Kafka broker does (duplicate, in order, or out of order), can refuse the first few produce
/// requests with a scripted error, and records what it stored.
private final class ProduceLog: Sendable {
    struct State {
        var stored: [TopicPartition: [Record]] = [:]
        var nextSequence: [TopicPartition: Int32] = [:]
        var failuresLeft = 0
        var failWith = ErrorCode.notLeaderOrFollower
        var producerIds: Int64 = 1000
    }

    let state = NIOLockedValueBox(State())

    func respond(_ peer: @escaping @Sendable () -> ScriptedPeer?, topics: [String: Int]) -> ScriptedPeer.Responder {
        { request in
            switch request.apiKey {
            case .apiVersions: return ScriptedPeer.apiVersions(request)
            case .metadata: return peer()?.metadata(request, topics: topics)
            case .initProducerId:
                let id = self.state.withLockedValue { s -> Int64 in s.producerIds += 1; return s.producerIds }
                return ScriptedPeer.answer(InitProducerIdResponse(errorCode: 0, producerId: id, producerEpoch: 0), to: request)
            case .produce:
                guard let body = try? request.decodeBody(ProduceRequest.self) else { return nil }
                let response = self.produce(body)
                return body.acks == 0 ? nil : ScriptedPeer.answer(response, to: request)
            default: return nil
            }
        }
    }

    private func produce(_ request: ProduceRequest) -> ProduceResponse {
        state.withLockedValue { s in
            let failing = s.failuresLeft > 0
            if failing { s.failuresLeft -= 1 }
            var topics: [ProduceResponse.TopicProduceResponse] = []
            for topic in request.topicData {
                var partitions: [ProduceResponse.PartitionProduceResponse] = []
                for p in topic.partitionData {
                    let tp = TopicPartition(topic.name, p.index)
                    var answer = ProduceResponse.PartitionProduceResponse(index: p.index, errorCode: 0)
                    defer { partitions.append(answer) }
                    if failing {
                        answer.errorCode = s.failWith.rawValue
                        continue
                    }
                    guard let bytes = p.records?.bytes, let batches = try? RecordBatchSequence.wholeBatches(bytes) else {
                        answer.errorCode = ErrorCode.corruptMessage.rawValue
                        continue
                    }
                    for batch in batches {
                        if batch.producerId >= 0 {
                            let expected = s.nextSequence[tp] ?? 0
                            if batch.baseSequence < expected {
                                answer.errorCode = ErrorCode.duplicateSequenceNumber.rawValue
                                continue
                            }
                            if batch.baseSequence > expected {
                                answer.errorCode = ErrorCode.outOfOrderSequenceNumber.rawValue
                                continue
                            }
                            s.nextSequence[tp] = expected + batch.recordCount
                        }
                        answer.baseOffset = Int64(s.stored[tp]?.count ?? 0)
                        for var r in (try? batch.records()) ?? [] {
                            r.offset += answer.baseOffset
                            s.stored[tp, default: []].append(r)
                        }
                    }
                }
                topics.append(ProduceResponse.TopicProduceResponse(name: topic.name, partitionResponses: partitions))
            }
            return ProduceResponse(responses: topics)
        }
    }

    var stored: [TopicPartition: [Record]] { state.withLockedValue { $0.stored } }
}

@Suite struct ProducerSequenceTests {
    @Test func outOfOrderSequenceIsRetriedOnlyBehindAGap() {
        // Nothing acknowledged yet: the first batch (0) is the next expected; a later one is not.
        #expect(!RecordAccumulator.isAfterGap(0, lastAcked: -1))
        #expect(RecordAccumulator.isAfterGap(6, lastAcked: -1))
        // A batch that overtook unanswered ones (sent to a new leader): retried.
        #expect(RecordAccumulator.isAfterGap(10_737, lastAcked: 9_839))
        // The next expected batch, or one before it (a later batch of it was accepted): no retry.
        #expect(!RecordAccumulator.isAfterGap(9_840, lastAcked: 9_839))
        #expect(!RecordAccumulator.isAfterGap(0, lastAcked: 9))
        // Across the wrap at Int32.max.
        #expect(RecordAccumulator.sequence(Int32.max, plus: 1) == 0)
        #expect(RecordAccumulator.isAfterGap(5, lastAcked: Int32.max - 2))
        #expect(!RecordAccumulator.isAfterGap(0, lastAcked: Int32.max))
        #expect(RecordAccumulator.isLater(2, than: Int32.max) && !RecordAccumulator.isLater(Int32.max, than: 2))
    }
}

@Suite struct ProducerTests {
    private func start(topics: [String: Int], log: ProduceLog) async throws -> ScriptedPeer {
        let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
        let peer = try await ScriptedPeer(respond: log.respond({ holder.withLockedValue { $0 } }, topics: topics))
        holder.withLockedValue { $0 = peer }
        return peer
    }

    @Test func keyedRecordsLandWhereTheJavaPartitionerPutsThemInOrder() async throws {
        let log = ProduceLog()
        let peer = try await start(topics: ["t": 3], log: log)
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader, batchSize: 1024))
        for i in 0..<3000 {
            try await producer.enqueue(ProducerRecord(topic: "t", key: "key-\(i % 50)", value: "value-\(i)"))
        }
        let last = try await producer.send(ProducerRecord(topic: "t", key: "key-1", value: "last"))
        try await producer.flush()
        await producer.close()
        await client.close()
        await peer.close()
        let stored = log.stored
        #expect(stored.values.map(\.count).reduce(0, +) == 3001)
        for (tp, records) in stored {
            #expect(records.map(\.offset) == Array(0..<Int64(records.count)))
            var lastIndexPerKey: [String: Int] = [:]
            for r in records {
                let key = String(buffer: r.key!)
                #expect(Partitioner.partition(forKey: r.key!, partitionCount: 3) == tp.partition)
                // Records of one key keep their order.
                let value = String(buffer: r.value!)
                if let index = Int(value.dropFirst("value-".count)) {
                    #expect(index > lastIndexPerKey[key, default: -1])
                    lastIndexPerKey[key] = index
                }
            }
        }
        let p = Partitioner.partition(forKey: ByteBuffer(string: "key-1"), partitionCount: 3)
        #expect(last.partition == p)
        #expect(last.offset == Int64(stored[TopicPartition("t", p)]!.count - 1))
    }

    @Test func idempotentRetriesKeepOrderAndDoNotDuplicate() async throws {
        let log = ProduceLog()
        log.state.withLockedValue { $0.failuresLeft = 3 }
        let peer = try await start(topics: ["t": 1], log: log)
        let client = KafkaClient(configuration: .test(peer))
        let config = ProducerConfiguration(acks: .all, linger: .milliseconds(1), batchSize: 512, idempotence: true,
                                           retries: 10, retryBackoff: .milliseconds(5))
        let producer = try await KafkaProducer(client: client, configuration: config)
        for i in 0..<2000 {
            try await producer.enqueue(ProducerRecord(topic: "t", value: "\(i)"))
        }
        try await producer.flush()
        await producer.close()
        await client.close()
        await peer.close()
        let values = log.stored[TopicPartition("t", 0)]!.map { Int(String(buffer: $0.value!))! }
        #expect(values == Array(0..<2000))
        #expect(peer.received(.initProducerId).count == 1)
    }

    @Test func aNonRetriableErrorReachesTheCallerWithItsName() async throws {
        let log = ProduceLog()
        log.state.withLockedValue {
            $0.failuresLeft = 1
            $0.failWith = .messageTooLarge
        }
        let peer = try await start(topics: ["t": 1], log: log)
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader))
        do {
            _ = try await producer.send(ProducerRecord(topic: "t", value: "too big"))
            Issue.record("expected MESSAGE_TOO_LARGE")
        } catch let error as KafkaClientError {
            #expect(error.errorCode == .messageTooLarge)
            #expect(error.description.hasPrefix("MESSAGE_TOO_LARGE (10): partition t-0"))
        }
        // Unobserved failures surface at flush.
        log.state.withLockedValue { $0.failuresLeft = 1 }
        try await producer.enqueue(ProducerRecord(topic: "t", value: "x"))
        await #expect(throws: KafkaClientError.self) { try await producer.flush() }
        await producer.close()
        await client.close()
        await peer.close()
    }

    @Test func unknownTopicAndBadPartitionAreClearErrors() async throws {
        let log = ProduceLog()
        let peer = try await start(topics: ["t": 2], log: log)
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader, maxBlock: .milliseconds(200)))
        await #expect(throws: KafkaClientError.broker(.unknownTopicOrPartition, resource: "topic 'nope'",
                                                      message: "topic 'nope' not present in metadata after 200 ms")) {
            _ = try await producer.send(ProducerRecord(topic: "nope", value: "x"))
        }
        do {
            _ = try await producer.send(ProducerRecord(topic: "t", partition: 5, value: "x"))
            Issue.record("expected an error")
        } catch let error as KafkaClientError {
            #expect(error.errorCode == .unknownTopicOrPartition)
            #expect(error.detail.contains("2 partition(s)"))
        }
        await producer.close()
        await client.close()
        await peer.close()
    }

    @Test func acksZeroGetsNoAnswerAndCompletes() async throws {
        let log = ProduceLog()
        let peer = try await start(topics: ["t": 1], log: log)
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .none))
        let metadata = try await producer.send(ProducerRecord(topic: "t", value: "fire and forget"))
        #expect(metadata.offset == -1)
        try await waitUntil { log.stored[TopicPartition("t", 0)]?.count == 1 }
        await producer.close()
        await client.close()
        await peer.close()
    }

    @Test func nullKeysStickToAPartitionUntilItsBatchCloses() async throws {
        let log = ProduceLog()
        let peer = try await start(topics: ["t": 4], log: log)
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader, linger: .seconds(5), batchSize: 1000))
        for i in 0..<400 {
            try await producer.enqueue(ProducerRecord(topic: "t", value: String(format: "%08d", i)))
        }
        try await producer.flush()
        await producer.close()
        await client.close()
        await peer.close()
        let stored = log.stored
        #expect(stored.values.map(\.count).reduce(0, +) == 400)
        // Batches fill before the partition changes: every partition got a share, in runs.
        #expect(stored.count == 4)
        #expect(stored.values.allSatisfy { $0.count >= 40 })
    }
}
