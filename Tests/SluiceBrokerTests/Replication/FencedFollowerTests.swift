import Foundation
import KafkaProtocol
@testable import SluiceBroker
import SluiceStorage
import Testing

/// A follower the controller fences (its process died) must not hold `acks=all` writes until
/// `replica.lag.time.max.ms` drops it: the fencing's ISR change, applied by the leader, moves the
/// high watermark and answers the waiters at once.
@Suite struct FencedFollowerTests {
    typealias Request = ProducePathTests.Request

    @Test func theFencingsIsrShrinkAnswersWaitersHeldByTheDeadFollower() throws {
        let tp = ProducePathTests.tp
        let dir = try ProducePathTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try ProducePathTests.log(dir, minInsync: 2)
        defer { try? log.close() }
        // replica.lag.time.max.ms far beyond this test: only the ISR change can release the waiter.
        var config = ReplicationConfig()
        config.replicaLagTimeMaxMs = 3_600_000
        let engine = ReplicaEngine<Request>(localId: 1, config: config)
        _ = engine.apply(PartitionState(topicPartition: tp, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0,
                                        partitionEpoch: 0), log: log, now: 0)
        let partition = try #require(engine.partition(tp))
        let records = try RecordBatchSequence.wholeBatches(try ProducePathTests.batch(producer: 1, sequence: 0))
        let (parked, appended) = partition.appendAsLeader(records, requiredAcks: -1, timeoutMs: 60_000,
                                                          token: Request(producer: 1, sequence: 0), now: 1_000)
        #expect(parked != nil && appended.completions.isEmpty)

        // Follower 2 has the record; follower 3 is dead and never fetches: still waiting.
        let (served, fetched) = partition.serveReplicaFetch(replicaId: 2, brokerEpoch: -1, currentLeaderEpoch: 0, fetchOffset: 1,
                                                           lastFetchedEpoch: 0, followerLogStartOffset: 0, maxBytes: 1 << 20,
                                                           minOneBatch: true, now: 1_010)
        if case let .records(read) = served { read.release() }
        #expect(fetched.completions.isEmpty, "broker 3 is still in the ISR")
        #expect(partition.checkIsr(now: 2_000).proposals.isEmpty, "nothing lags past replica.lag.time.max.ms")

        // The controller fenced broker 3: same leader epoch, ISR [1, 2], next partition epoch.
        let effects = engine.apply(PartitionState(topicPartition: tp, replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0,
                                                  partitionEpoch: 1), log: log, now: 2_010)
        let answered = try #require(effects.completions.first, "the ISR change answers the waiter")
        #expect(answered.token == Request(producer: 1, sequence: 0))
        #expect(try answered.result.get().firstOffset == 0)
        #expect(log.highWatermark == 1)
    }
}
