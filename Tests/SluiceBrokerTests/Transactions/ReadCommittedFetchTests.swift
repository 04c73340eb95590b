import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// Fetch and ListOffsets with `isolation_level`, against the real storage engine. The test writes
/// the transactional batches and markers into the partition's log the way the leader appends them
/// for the coordinator (`TransactionInteropTests` drives the same through real clients).
@Suite(.onTestThreads) struct ReadCommittedFetchTests {
    static func txn(_ value: String, pid: Int64) throws -> RecordBatch {
        var builder = RecordBatchBuilder(producerId: pid, producerEpoch: 0, baseSequence: 0, isTransactional: true)
        builder.append(key: nil, value: ByteBuffer(string: value), timestamp: 1_700_000_000_000)
        return try builder.build()
    }

    static func fetch(_ connection: RawKafkaConnection, isolation: Int8, version: Int16 = 12) async throws -> FetchResponse.PartitionData {
        let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: isolation, topics: [
            .init(topic: "rc", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
        ])
        return try await connection.roundTrip(request, version: version).responses[0].partitions[0]
    }

    static func baseOffsets(_ partition: FetchResponse.PartitionData) -> [Int64] {
        guard case let .bytes(bytes)? = partition.records else { return [] }
        return RecordBatchSequence(bytes).map(\.baseOffset)
    }

    static func latest(_ connection: RawKafkaConnection, isolation: Int8) async throws -> Int64 {
        let request = ListOffsetsRequest(replicaId: -1, isolationLevel: isolation,
                                         topics: [.init(name: "rc", partitions: [.init(partitionIndex: 0, timestamp: -1)])])
        return try await connection.roundTrip(request, version: 5).topics[0].partitions[0].offset
    }

    @Test func readCommittedStopsAtTheLastStableOffsetAndListsAbortedTransactions() async throws {
        try await DiskBrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "rc", numPartitions: 1, replicationFactor: 1)]),
                                         version: 7)
            let produced = try await connection.roundTrip(produceRequest(topic: "rc", batch: try makeBatch(1)), version: 9)
            #expect(produced.responses[0].partitionResponses[0].errorCode == 0)
            // A transactional batch needs a transactional id, and a transaction its coordinator knows
            // (none here: NOT_ENOUGH_REPLICAS, which producers retry): nothing is appended.
            let refused = try await connection.roundTrip(produceRequest(topic: "rc", batch: try Self.txn("x", pid: 9)), version: 9)
            #expect(refused.responses[0].partitionResponses[0].errorCode == ErrorCode.transactionalIdAuthorizationFailed.rawValue)
            var unknown = produceRequest(topic: "rc", batch: try Self.txn("x", pid: 9))
            unknown.transactionalId = "never-initialized"
            let unverified = try await connection.roundTrip(unknown, version: 9)
            #expect(unverified.responses[0].partitionResponses[0].errorCode == ErrorCode.notEnoughReplicas.rawValue)

            let log = try #require(fixture.logs.diskLog(for: TopicPartition("rc", 0)))
            let epoch = log.latestLeaderEpoch ?? 0
            _ = try log.appendAsLeader([try Self.txn("aborted", pid: 1)], leaderEpoch: epoch, now: 0, origin: .client)   // 1
            let abort = try EndTransactionMarker(commit: false, coordinatorEpoch: 0).batch(producerId: 1, producerEpoch: 0, timestamp: 0)
            _ = try log.appendAsLeader([abort], leaderEpoch: epoch, now: 0, origin: .coordinator)                    // 2
            _ = try log.appendAsLeader([try Self.txn("open", pid: 2)], leaderEpoch: epoch, now: 0, origin: .client)      // 3
            log.updateHighWatermark(log.logEndOffset)

            let committed = try await Self.fetch(connection, isolation: 1)
            #expect(committed.errorCode == 0)
            #expect(committed.highWatermark == 4 && committed.lastStableOffset == 3)
            #expect(Self.baseOffsets(committed) == [0, 1, 2], "nothing at or past the open transaction")
            #expect(committed.abortedTransactions == [.init(producerId: 1, firstOffset: 1)])

            let uncommitted = try await Self.fetch(connection, isolation: 0)
            #expect(Self.baseOffsets(uncommitted) == [0, 1, 2, 3])
            #expect(uncommitted.abortedTransactions == nil)
            #expect(uncommitted.lastStableOffset == 3)

            #expect(try await Self.latest(connection, isolation: 1) == 3)
            #expect(try await Self.latest(connection, isolation: 0) == 4)

            let commit = try EndTransactionMarker(commit: true, coordinatorEpoch: 0).batch(producerId: 2, producerEpoch: 0, timestamp: 0)
            _ = try log.appendAsLeader([commit], leaderEpoch: epoch, now: 0, origin: .coordinator)                   // 4
            log.updateHighWatermark(log.logEndOffset)
            let after = try await Self.fetch(connection, isolation: 1)
            #expect(after.lastStableOffset == 5 && Self.baseOffsets(after) == [0, 1, 2, 3, 4])
            #expect(try await Self.latest(connection, isolation: 1) == 5)
        }
    }
}
