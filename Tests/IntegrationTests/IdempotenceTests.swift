import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// The idempotent producer's protocol against the real log: a retried batch is answered with
/// its original offsets, a sequence gap is refused, producer ids never repeat across restarts.
@Suite(.onTestThreads) struct IdempotenceTests {
    func batch(producerId: Int64, sequence: Int32, count: Int = 5) throws -> RecordBatch {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 0, baseSequence: sequence)
        for i in 0..<count { builder.append(key: nil, value: ByteBuffer(string: "m\(i)"), timestamp: recentTimestamp()) }
        return try builder.build()
    }

    func produce(_ connection: RawKafkaConnection, _ batch: RecordBatch) async throws -> ProduceResponse.PartitionProduceResponse {
        let request = ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [
            .init(name: "idem", partitionData: [.init(index: 0, records: .bytes(batch.bytes))]),
        ])
        return try await connection.roundTrip(request, version: 9).responses[0].partitionResponses[0]
    }

    @Test func retriesAreDeduplicatedAndGapsRefused() async throws {
        try await BrokerProcess.with { broker in
            let connection = try await RawKafkaConnection(port: broker.port)
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "idem", numPartitions: 1, replicationFactor: 1)]), version: 4)
            let first = try await connection.roundTrip(InitProducerIdRequest(transactionalId: nil), version: 4)
            #expect(first.errorCode == 0 && first.producerId >= 0 && first.producerEpoch == 0)
            let pid = first.producerId

            let original = try await produce(connection, try batch(producerId: pid, sequence: 0))
            _ = try await produce(connection, try batch(producerId: pid, sequence: 5))
            let retry = try await produce(connection, try batch(producerId: pid, sequence: 0))
            #expect(original.errorCode == 0 && original.baseOffset == 0)
            #expect(retry.errorCode == 0 && retry.baseOffset == 0, "a duplicate gets the original offsets")
            let gap = try await produce(connection, try batch(producerId: pid, sequence: 20))
            #expect(gap.errorCode == ErrorCode.outOfOrderSequenceNumber.rawValue)
            let end = try await connection.roundTrip(ListOffsetsRequest(replicaId: -1, topics: [
                .init(name: "idem", partitions: [.init(partitionIndex: 0, timestamp: -1)])]), version: 1)
            #expect(end.topics[0].partitions[0].offset == 10, "the retry and the gap added nothing")

            // Epoch 0 (the only one) ends at the log end; an unknown partition is refused.
            let epochs = try await connection.roundTrip(OffsetForLeaderEpochRequest(topics: [
                .init(topic: "idem", partitions: [.init(partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0),
                                                  .init(partition: 7, currentLeaderEpoch: -1, leaderEpoch: 0)]),
            ]), version: 4).topics[0].partitions
            #expect(epochs.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
            #expect(epochs[0].leaderEpoch == 0 && epochs[0].endOffset == 10)

            // Only one of producer id and epoch is INVALID_REQUEST; ids never repeat, even after a restart.
            let half = try await connection.roundTrip(InitProducerIdRequest(transactionalId: nil, producerId: pid, producerEpoch: -1), version: 4)
            #expect(half.errorCode == ErrorCode.invalidRequest.rawValue)
            let second = try await connection.roundTrip(InitProducerIdRequest(transactionalId: nil, producerId: pid, producerEpoch: 0), version: 3)
            #expect(second.producerId > pid)
            await broker.kill9()
            try await broker.start()
            let again = try await RawKafkaConnection(port: broker.port)
            let third = try await again.roundTrip(InitProducerIdRequest(transactionalId: nil), version: 0)
            #expect(third.producerId > second.producerId)
            #expect(await broker.stop() == 0)
        }
    }
}
