import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// DeleteRecords against the real storage engine: the log start moves (and with it Fetch's
/// OFFSET_OUT_OF_RANGE and ListOffsets' earliest), whole segments below it go, and each refusal
/// carries Kafka's error code.
@Suite struct DeleteRecordsTests {
    typealias Partition = DeleteRecordsRequest.DeleteRecordsPartition

    func delete(_ connection: RawKafkaConnection, _ topic: String, _ partitions: [(Int32, Int64)],
                version: Int16 = 2) throws -> [(lowWatermark: Int64, error: Int16)] {
        let request = DeleteRecordsRequest(topics: [.init(name: topic, partitions: partitions.map {
            Partition(partitionIndex: $0.0, offset: $0.1)
        })], timeoutMs: 5000)
        let response = try connection.roundTrip(request, version: version)
        #expect(response.topics.map(\.name) == [topic])
        #expect(response.topics[0].partitions.map(\.partitionIndex) == partitions.map(\.0))
        return response.topics[0].partitions.map { ($0.lowWatermark, $0.errorCode) }
    }

    func earliest(_ connection: RawKafkaConnection, _ topic: String) throws -> Int64 {
        let request = ListOffsetsRequest(replicaId: -1, topics: [.init(name: topic, partitions: [.init(partitionIndex: 0, timestamp: -2)])])
        return try connection.roundTrip(request, version: 4).topics[0].partitions[0].offset
    }

    func fetch(_ connection: RawKafkaConnection, _ topic: String, from offset: Int64) throws -> (error: Int16, batches: [RecordBatch], logStart: Int64) {
        let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
            .init(topic: topic, partitions: [.init(partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20)]),
        ])
        let partition = try connection.roundTrip(request, version: 11).responses[0].partitions[0]
        var batches: [RecordBatch] = []
        if case let .bytes(bytes)? = partition.records { batches = Array(RecordBatchSequence(bytes)) }
        return (partition.errorCode, batches, partition.logStartOffset)
    }

    @Test(arguments: [Int16(0), 1, 2])
    func movesTheLogStartAndDropsWholeSegments(version: Int16) async throws {
        try await DiskBrokerFixture.with { fixture in
            let connection = try fixture.connect()
            _ = try connection.roundTrip(CreateTopicsRequest(topics: [.init(
                name: "dr", numPartitions: 2, replicationFactor: 1, configs: [.init(name: "segment.bytes", value: "300")])]),
                version: 7)
            // Ten batches of two records: offsets 0-19, about three batches per segment.
            for _ in 0..<10 {
                let produced = try connection.roundTrip(produceRequest(topic: "dr", batch: try makeBatch(2)), version: 9)
                #expect(produced.responses[0].partitionResponses[0].errorCode == 0)
            }
            let log = try #require(fixture.logs.diskLog(for: TopicPartition("dr", 0)))
            let segmentsBefore = log.segmentCount

            // Mid-batch: the start moves to 7 exactly; the batch holding it is still served whole.
            #expect(try delete(connection, "dr", [(0, 7)], version: version).map(\.lowWatermark) == [7])
            #expect(try earliest(connection, "dr") == 7)
            let below = try fetch(connection, "dr", from: 5)
            #expect(below.error == ErrorCode.offsetOutOfRange.rawValue && below.batches.isEmpty)
            let at = try fetch(connection, "dr", from: 7)
            #expect(at.error == 0 && at.logStart == 7 && at.batches.first?.baseOffset == 6)
            #expect(log.segmentCount < segmentsBefore, "segments wholly below offset 7 are deleted")
            #expect(log.segmentBaseOffsets.first! <= 7)

            // Lower than the start: nothing changes, the answer is the current start.
            #expect(try delete(connection, "dr", [(0, 3)], version: version).map(\.lowWatermark) == [7])
            // -1 is the high watermark; an empty partition can be "deleted" to 0.
            let both = try delete(connection, "dr", [(0, -1), (1, 0)], version: version)
            #expect(both.map(\.lowWatermark) == [20, 0] && both.map(\.error) == [0, 0])
            #expect(try earliest(connection, "dr") == 20)
            #expect(try fetch(connection, "dr", from: 19).error == ErrorCode.offsetOutOfRange.rawValue)
            #expect(try fetch(connection, "dr", from: 20).error == 0)

            // The new start survives a restart (the checkpoint is written at once).
            try await fixture.restart()
            #expect(try earliest(try fixture.connect(), "dr") == 20)
        }
    }

    @Test func refusalsCarryKafkasErrors() async throws {
        try await DiskBrokerFixture.with { fixture in
            let connection = try fixture.connect()
            _ = try connection.roundTrip(CreateTopicsRequest(topics: [
                .init(name: "plain", numPartitions: 1, replicationFactor: 1),
                .init(name: "compacted", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "cleanup.policy", value: "compact")]),
                .init(name: "both", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "cleanup.policy", value: "compact,delete")]),
            ]), version: 7)
            _ = try connection.roundTrip(produceRequest(topic: "plain", batch: try makeBatch(5)), version: 9)
            let outOfRange = ErrorCode.offsetOutOfRange.rawValue
            let plain = try delete(connection, "plain", [(0, 6), (0, -2), (3, 1), (-1, 0)])
            #expect(plain.map(\.error) == [outOfRange, outOfRange, ErrorCode.unknownTopicOrPartition.rawValue,
                                           ErrorCode.unknownTopicOrPartition.rawValue])
            #expect(plain.allSatisfy { $0.lowWatermark == -1 })
            #expect(try delete(connection, "nope", [(0, 0)]).map(\.error) == [ErrorCode.unknownTopicOrPartition.rawValue])
            #expect(try delete(connection, "compacted", [(0, 0)]).map(\.error) == [ErrorCode.policyViolation.rawValue])
            #expect(try delete(connection, "both", [(0, 0)]).map(\.error) == [0])
            _ = try await fixture.broker.services.ensureOffsetsTopic(on: fixture.broker.cluster.pool.eventLoop).get()
            #expect(try delete(connection, OffsetsTopic.name, [(0, 0)]).map(\.error) == [ErrorCode.invalidTopicException.rawValue])
            #expect(try earliest(connection, "plain") == 0, "nothing moved")
        }
    }
}
