import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import SluiceClient

/// Kafka's producer defaults since 3.0, and what a failed delivery says about the record: after a
/// timeout it may have been written, after a refusal it was not.
@Suite(.onTestThreads) struct ProducerDeliveryTests {
    @Test func defaultsAreKafkasAcksAllAndIdempotence() async throws {
        try await withTeardown { teardown in
            let defaults = ProducerConfiguration()
            #expect(defaults.acks == .all)
            #expect(defaults.idempotence)
            #expect(defaults.deliveryTimeout == .seconds(120) && defaults.maxBlock == .seconds(60))
            // acks=1 alone turns idempotence off; asked for together with it, it is refused.
            #expect(!ProducerConfiguration(acks: .leader).idempotence)
            #expect(!ProducerConfiguration(idempotence: false).idempotence)
            let peer = try await ScriptedPeer { $0.apiKey == .apiVersions ? ScriptedPeer.apiVersions($0) : nil }
            teardown.add { await peer.close() }
            let client = KafkaClient(configuration: .test(peer))
            teardown.add { await client.close() }
            await #expect(throws: KafkaClientError(.invalidArgument, "idempotence needs acks=all")) {
                _ = try await KafkaProducer(client: client, configuration: ProducerConfiguration(acks: .leader, idempotence: true))
            }
        }
    }

    /// The broker appended and then timed out waiting for the replicas (REQUEST_TIMED_OUT) every
    /// time: the idempotent retries re-send the same batch (same sequence), and the final error
    /// says the record may have been written.
    @Test func aTimedOutProduceSaysTheRecordMayHaveBeenWritten() async throws {
        try await withTeardown { teardown in
            let peer = try await Self.peer(produceError: .requestTimedOut)
            teardown.add { await peer.close() }
            let client = KafkaClient(configuration: .test(peer))
            teardown.add { await client.close() }
            let producer = try await KafkaProducer(client: client, configuration: Self.shortDelivery)
            teardown.add { await producer.close() }
            let error = await Self.failure(of: producer)
            #expect(error?.errorCode == .requestTimedOut)
            #expect(error?.description.contains("the record may have been written") == true, "\(String(describing: error))")
            let sequences = peer.received(.produce).compactMap { try? $0.decodeBody(ProduceRequest.self) }
                .compactMap { $0.topicData.first?.partitionData.first?.records?.bytes }
                .compactMap { RecordBatchSequence($0).first { _ in true }?.baseSequence }
            #expect(sequences.count == 3 && Set(sequences) == [0], "retries re-send the same batch: \(sequences)")
        }
    }

    /// A refusal before the append (NOT_ENOUGH_REPLICAS) until the delivery timeout: not written.
    @Test func aRefusedProduceDoesNotSayItMayHaveBeenWritten() async throws {
        try await withTeardown { teardown in
            let peer = try await Self.peer(produceError: .notEnoughReplicas)
            teardown.add { await peer.close() }
            let client = KafkaClient(configuration: .test(peer))
            teardown.add { await client.close() }
            let producer = try await KafkaProducer(client: client, configuration: Self.shortDelivery)
            teardown.add { await producer.close() }
            let error = await Self.failure(of: producer)
            #expect(error?.errorCode == .notEnoughReplicas)
            #expect(error?.description.contains("may have been written") == false, "\(String(describing: error))")
        }
    }

    /// No answer at all (the request times out on the connection): may have been written.
    @Test func anUnansweredProduceSaysTheRecordMayHaveBeenWritten() async throws {
        try await withTeardown { teardown in
            let peer = try await Self.peer(produceError: nil)
            teardown.add { await peer.close() }
            var configuration = ClientConfiguration.test(peer)
            // Every request has this timeout, the handshake's too: long enough that only the
            // unanswered Produce runs into it on a loaded machine (100 ms did not always).
            configuration.requestTimeout = .seconds(1)
            let client = KafkaClient(configuration: configuration)
            teardown.add { await client.close() }
            var producerConfiguration = Self.shortDelivery
            producerConfiguration.retries = 0
            let producer = try await KafkaProducer(client: client, configuration: producerConfiguration)
            teardown.add { await producer.close() }
            let error = await Self.failure(of: producer)
            #expect(error?.description.contains("the record may have been written") == true, "\(String(describing: error))")
        }
    }

    /// Three attempts, then the last one's error (bounded by count, not time: a loaded machine
    /// changes nothing).
    static let shortDelivery = ProducerConfiguration(linger: .zero, retries: 2, retryBackoff: .milliseconds(20))

    static func failure(of producer: KafkaProducer) async -> KafkaClientError? {
        do {
            _ = try await producer.send(ProducerRecord(topic: "t", value: "outage msg"))
            return nil
        } catch {
            return error as? KafkaClientError
        }
    }

    /// One partition `t-0` led by the peer; Produce answered with `produceError` (nil: no answer).
    static func peer(produceError: ErrorCode?) async throws -> ScriptedPeer {
        let holder = NIOLockedValueBox<ScriptedPeer?>(nil)
        let peer = try await ScriptedPeer { request in
            switch request.apiKey {
            case .apiVersions: return ScriptedPeer.apiVersions(request)
            case .metadata: return holder.withLockedValue { $0 }?.metadata(request, topics: ["t": 1])
            case .initProducerId:
                return ScriptedPeer.answer(InitProducerIdResponse(errorCode: 0, producerId: 9, producerEpoch: 0), to: request)
            case .produce:
                guard let produceError, let body = try? request.decodeBody(ProduceRequest.self) else { return nil }
                return ScriptedPeer.answer(ProduceResponse(responses: body.topicData.map { t in
                    .init(name: t.name, partitionResponses: t.partitionData.map { .init(index: $0.index, errorCode: produceError.rawValue) })
                }), to: request)
            default: return nil
            }
        }
        holder.withLockedValue { $0 = peer }
        return peer
    }
}
