import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// kill -9 after acknowledged produces: after a restart, every acknowledged record is there.
@Suite(.onTestThreads) struct CrashRecoveryTests {
    @Test func acknowledgedRecordsSurviveKill9() async throws {
        try await BrokerProcess.with { broker in
            var connection = try await RawKafkaConnection(port: broker.port)
            let create = CreateTopicsRequest(topics: [.init(name: "durable", numPartitions: 2, replicationFactor: 1)])
            #expect(try await connection.roundTrip(create, version: 7).topics.map(\.errorCode) == [0])
            var acknowledged: [Int32: Int64] = [0: 0, 1: 0]
            for round in 0..<200 {
                let partition = Int32(round % 2)
                var builder = RecordBatchBuilder()
                for i in 0..<10 {
                    builder.append(key: nil, value: ByteBuffer(string: "r\(round)-\(i)"), timestamp: recentTimestamp())
                }
                let acks: Int16 = round % 3 == 0 ? -1 : 1
                let request = ProduceRequest(acks: acks, timeoutMs: 5000, topicData: [
                    .init(name: "durable", partitionData: [.init(index: partition, records: .bytes(try builder.build().bytes))]),
                ])
                let response = try await connection.roundTrip(request, version: 9).responses[0].partitionResponses[0]
                #expect(response.errorCode == 0)
                #expect(response.baseOffset == acknowledged[partition])
                acknowledged[partition]! += 10
            }
            await broker.kill9()
            try await broker.start()
            connection = try await RawKafkaConnection(port: broker.port)
            for partition: Int32 in [0, 1] {
                let request = ListOffsetsRequest(replicaId: -1, topics: [
                    .init(name: "durable", partitions: [.init(partitionIndex: partition, timestamp: -1)]),
                ])
                let latest = try await connection.roundTrip(request, version: 4).topics[0].partitions[0]
                #expect(latest.offset >= acknowledged[partition]!, "partition \(partition) kept every acknowledged record")
                let batches = try await SharedBroker.storedBatchesOn(port: broker.port, topic: "durable", partition: partition)
                #expect(batches.reduce(0) { $0 + Int64($1.recordCount) } >= acknowledged[partition]!)
                #expect(batches.allSatisfy { (try? $0.validate()) != nil })
            }
            #expect(await broker.stop() == 0)
        }
    }
}

