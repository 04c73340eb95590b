import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import Testing
@testable import SluiceClient

/// A peer whose topic appears only after a number of Metadata requests (as a topic being
/// auto-created, or created a moment ago through another broker, does), answering Produce and
/// ListOffsets for it once it exists.
private final class PropagatingTopic: Sendable {
    struct State {
        var metadataLeft: Int
        /// The topic-level error while the topic is not there yet.
        var missingError: ErrorCode
        var autoCreationAsked = 0
        var produced = 0
    }

    let state: NIOLockedValueBox<State>
    let topic: String

    init(topic: String, appearsAfter: Int, missingError: ErrorCode = .unknownTopicOrPartition) {
        self.topic = topic
        state = NIOLockedValueBox(State(metadataLeft: appearsAfter, missingError: missingError))
    }

    func start() async throws -> ScriptedPeer {
        let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
        let peer = try await ScriptedPeer { [self] request in
            switch request.apiKey {
            case .apiVersions: return ScriptedPeer.apiVersions(request)
            case .metadata: return metadata(request, port: holder.withLockedValue { $0!.port })
            case .initProducerId:
                return ScriptedPeer.answer(InitProducerIdResponse(errorCode: 0, producerId: 7, producerEpoch: 0), to: request)
            case .produce:
                guard let body = try? request.decodeBody(ProduceRequest.self) else { return nil }
                let offset = state.withLockedValue { s -> Int64 in
                    defer { s.produced += 1 }
                    return Int64(s.produced)
                }
                return ScriptedPeer.answer(ProduceResponse(responses: body.topicData.map { t in
                    .init(name: t.name, partitionResponses: t.partitionData.map { .init(index: $0.index, errorCode: 0, baseOffset: offset) })
                }), to: request)
            case .listOffsets:
                guard let body = try? request.decodeBody(ListOffsetsRequest.self) else { return nil }
                return ScriptedPeer.answer(ListOffsetsResponse(topics: body.topics.map { t in
                    .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: 0, offset: 0) })
                }), to: request)
            default: return nil
            }
        }
        holder.withLockedValue { $0 = peer }
        return peer
    }

    private func metadata(_ request: ReceivedRequest, port: Int) -> ByteBuffer {
        let body = try? request.decodeBody(MetadataRequest.self)
        let asksForTopic = body?.topics?.contains { $0.name == topic } ?? true
        let (exists, error) = state.withLockedValue { s -> (Bool, ErrorCode) in
            if asksForTopic && body?.allowAutoTopicCreation == true { s.autoCreationAsked += 1 }
            if asksForTopic && s.metadataLeft > 0 { s.metadataLeft -= 1 }
            return (s.metadataLeft == 0, s.missingError)
        }
        let brokers = [MetadataResponse.MetadataResponseBroker(nodeId: 1, host: "127.0.0.1", port: Int32(port), rack: nil)]
        var topics: [MetadataResponse.MetadataResponseTopic] = []
        if asksForTopic {
            topics.append(exists
                ? .init(errorCode: 0, name: topic, partitions: [.init(errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0,
                                                                      replicaNodes: [1], isrNodes: [1])])
                : .init(errorCode: error.rawValue, name: topic))
        }
        return ScriptedPeer.answer(MetadataResponse(brokers: brokers, clusterId: "scripted", controllerId: 1, topics: topics), to: request)
    }
}

@Suite struct TopicPropagationTests {
    /// As kafka-console-producer and kcat: the producer asks Metadata with allow_auto_topic_creation
    /// and waits while the topic is unknown (or leaderless) until it appears.
    @Test(arguments: [ErrorCode.unknownTopicOrPartition, .leaderNotAvailable])
    func theProducerAsksForAutoCreationAndWaitsForTheTopic(missing: ErrorCode) async throws {
        let cluster = PropagatingTopic(topic: "fresh", appearsAfter: 4, missingError: missing)
        let peer = try await cluster.start()
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(maxBlock: .seconds(120)))
        let placed = try await producer.send(ProducerRecord(topic: "fresh", value: "first"))
        #expect(placed.partition == 0)
        // A topic being created (LEADER_NOT_AVAILABLE) exists: only an unknown one is asked for.
        #expect((cluster.state.withLockedValue { $0.autoCreationAsked } >= 1) == (missing == .unknownTopicOrPartition))
        // The cache's own refreshes never ask for creation: only the producer's request for its topic does.
        let metadataRequests = peer.received(.metadata).compactMap { try? $0.decodeBody(MetadataRequest.self) }
        #expect(metadataRequests.filter(\.allowAutoTopicCreation).allSatisfy { $0.topics?.compactMap(\.name) == ["fresh"] })
        await producer.close()
        await client.close()
        await peer.close()
    }

    /// With auto-creation off the topic never comes: the producer fails after max.block.ms with
    /// UNKNOWN_TOPIC_OR_PARTITION, in Kafka's words.
    @Test func aTopicThatNeverAppearsFailsAfterMaxBlock() async throws {
        let cluster = PropagatingTopic(topic: "absent", appearsAfter: Int.max)
        let peer = try await cluster.start()
        let client = KafkaClient(configuration: .test(peer))
        let producer = try await KafkaProducer(client: client, configuration: ProducerConfiguration(maxBlock: .milliseconds(400)))
        let started = ContinuousClock.now
        do {
            _ = try await producer.send(ProducerRecord(topic: "absent", value: "x"))
            Issue.record("expected UNKNOWN_TOPIC_OR_PARTITION")
        } catch let error as KafkaClientError {
            #expect(error.errorCode == .unknownTopicOrPartition)
            #expect(error.resource == "topic 'absent'")
            #expect(error.detail == "topic 'absent' not present in metadata after 400 ms")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(peer.received(.metadata).count > 2, "metadata was refreshed while waiting")
        await producer.close()
        await client.close()
        await peer.close()
    }

    /// The consumer's assign (ListOffsets for `latest`) waits for a topic that other brokers do not
    /// know yet, within default.api.timeout.ms.
    @Test func theConsumerWaitsForATopicThatIsPropagating() async throws {
        let cluster = PropagatingTopic(topic: "new", appearsAfter: 3)
        let peer = try await cluster.start()
        let client = KafkaClient(configuration: .test(peer))
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(defaultApiTimeout: .seconds(120)))
        try await consumer.assign([TopicPartition("new", 0): .latest])
        #expect(consumer.position(TopicPartition("new", 0)) == 0)
        // It never asks for creation.
        #expect(cluster.state.withLockedValue { $0.autoCreationAsked } == 0)
        await consumer.close()
        await client.close()
        await peer.close()
    }
}
