import Dispatch
import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import SluiceBroker
import SluiceBase
import SluiceStorage
import Testing

/// The produce path's engine parts on real logs: the partition's append queue (submission order,
/// one appender), the waiter list as the only registry of `acks=all` requests, and the replica
/// manager's lifetime.
@Suite struct ProducePathTests {
    /// A produce request in these tests: who sent it and its sequence number.
    struct Request: Sendable, Equatable {
        var producer: Int
        var sequence: Int
    }

    static let tp = TopicPartition("path", 0)

    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-produce-path-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func log(_ dir: String, minInsync: Int32 = 1) throws -> DiskPartitionLog {
        var config = LogConfig()
        config.minInsyncReplicas = minInsync
        var logger = Logger(label: "produce-path-test")
        logger.logLevel = .critical
        return try DiskPartitionLog.open(directory: "\(dir)/\(tp)", topicPartition: tp, config: config, logger: logger)
    }

    static func batch(producer: Int, sequence: Int) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: Int64(producer), producerEpoch: 0, baseSequence: Int32(sequence))
        builder.append(key: nil, value: ByteBuffer(string: "p\(producer)-\(sequence)"), timestamp: 1_000)
        return try builder.build().bytes
    }

    /// Several threads queue idempotent producers' appends while appenders run on other threads,
    /// started only by whoever found the queue idle, as the broker's I/O pool runs them: every
    /// append is answered once, none fails (a reordered batch would get
    /// OUT_OF_ORDER_SEQUENCE_NUMBER from the log), and the log holds each producer's records in
    /// its order.
    @Test func queuedAppendsRunInSubmissionOrderWithOneAppender() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try Self.log(dir)
        defer { try? log.close() }
        let engine = ReplicaEngine<Request>(localId: 1, config: ReplicationConfig())
        _ = engine.apply(PartitionState(topicPartition: Self.tp, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0,
                                        partitionEpoch: 0), log: log, now: 0)
        let partition = try #require(engine.partition(Self.tp))
        let producers = 4
        let each = 150
        let answers = NIOLockedValueBox<[ProduceCompletion<Request>]>([])
        let appenders = NIOLockedValueBox(0)
        let group = DispatchGroup()
        @Sendable func runAppender() {
            appenders.withLockedValue { $0 += 1 }
            var round: AppendRound<Request>
            repeat {
                round = partition.runQueuedAppends(limit: 7, clock: { 0 })
                answers.withLockedValue { $0 += round.effects.completions }
            } while round.more
            group.leave()
        }
        for producer in 0..<producers {
            group.enter()
            Thread {
                for sequence in 0..<each {
                    let records = try! Self.batch(producer: producer, sequence: sequence)
                    let queued = QueuedAppend(records: .batches(records), requiredAcks: 1, timeoutMs: 1_000,
                                              token: Request(producer: producer, sequence: sequence))
                    if partition.enqueue(queued) {
                        group.enter()
                        Thread { runAppender() }.start()
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        let all = answers.withLockedValue { $0 }
        #expect(all.count == producers * each)
        let failures = all.compactMap { answer -> String? in
            if case let .failure(error) = answer.result { return "\(answer.token): \(error)" } else { return nil }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        for producer in 0..<producers {
            let offsets = all.filter { $0.token.producer == producer }.sorted { $0.token.sequence < $1.token.sequence }
                .compactMap { try? $0.result.get().firstOffset }
            #expect(offsets == offsets.sorted() && Set(offsets).count == each, "producer \(producer)'s records in its order")
        }
        #expect(appenders.withLockedValue { $0 } >= 1)
        #expect(log.logEndOffset == Int64(producers * each))
        // Idle again: the next append starts a new appender.
        #expect(partition.enqueue(QueuedAppend(records: .batches(try Self.batch(producer: 9, sequence: 0)), requiredAcks: 1,
                                               timeoutMs: 1_000, token: Request(producer: 9, sequence: 0))))
    }

    /// An `acks=all` append parks its token in the partition's waiter list in the same step as
    /// the append; the follower's fetch that moves the high watermark past it hands the token
    /// back with the append's offsets, the timer's `timeOut` then finds nothing, and a request
    /// that is never replicated times out with its token.
    @Test func waitersAreAnsweredFromTheHighWatermarkOrTheirTimeout() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try Self.log(dir, minInsync: 2)
        defer { try? log.close() }
        let engine = ReplicaEngine<Request>(localId: 1, config: ReplicationConfig())
        _ = engine.apply(PartitionState(topicPartition: Self.tp, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0,
                                        partitionEpoch: 0), log: log, now: 0)
        let partition = try #require(engine.partition(Self.tp))
        func append(_ sequence: Int) throws -> (UInt64?, ReplicationEffects<Request>) {
            let records = try RecordBatchSequence.wholeBatches(try Self.batch(producer: 1, sequence: sequence))
            return partition.appendAsLeader(records, requiredAcks: -1, timeoutMs: 500, token: Request(producer: 1, sequence: sequence),
                                            now: 1_000)
        }
        let (first, firstEffects) = try append(0)
        let parked = try #require(first, "acks=all with a follower behind: parked")
        #expect(firstEffects.completions.isEmpty)
        let (second, _) = try append(1)
        let secondId = try #require(second)

        // The follower fetches from offset 1: it has the first record, the high watermark moves to 1.
        let (served, fetched) = partition.serveReplicaFetch(replicaId: 2, brokerEpoch: -1, currentLeaderEpoch: 0, fetchOffset: 1,
                                                       lastFetchedEpoch: 0, followerLogStartOffset: 0, maxBytes: 1 << 20,
                                                       minOneBatch: true, now: 1_010)
        if case let .records(read) = served { read.release() } else { Issue.record("no records served: \(served)") }
        #expect(fetched.completions.count == 1)
        let answered = try #require(fetched.completions.first)
        #expect(answered.token == Request(producer: 1, sequence: 0))
        #expect(try answered.result.get().firstOffset == 0)
        #expect(partition.timeOut(waiter: parked) == nil, "answered once: its timer finds nothing")

        let timedOut = try #require(partition.timeOut(waiter: secondId))
        #expect(timedOut.token == Request(producer: 1, sequence: 1))
        if case let .failure(error) = timedOut.result { #expect(error.code == .requestTimedOut) } else { Issue.record("not timed out") }
        #expect(partition.expireWaiters(now: 10_000).isEmpty, "the list is the only registry: nothing left")
    }

    /// The fetchers and the AlterPartition sender reach the replica manager through a weak
    /// relay: once the broker lets go of the manager, it is freed with its engine.
    @Test func theReplicaManagerIsFreedOnceReleased() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { try? pool.syncShutdownGracefully() }
        weak var released: ReplicaManager?
        weak var engine: BrokerReplicaEngine?
        do {
            let manager = ReplicaManager(logs: NoLogs(), pool: pool, peers: UnreachablePeers(eventLoop: group.next()),
                                         localId: 1, config: ReplicationConfig(), logger: Logger(label: "test"))
            manager.shutdown()
            released = manager
            engine = manager.engine
        }
        #expect(released == nil)
        #expect(engine == nil)
    }
}

/// Peers that cannot be reached (nothing here fetches or sends AlterPartition).
private struct UnreachablePeers: ReplicationPeers {
    let eventLoop: any EventLoop
    var brokerEpoch: Int64 { -1 }
    func address(of broker: Int32) -> BrokerAddress? { nil }
    func send<R: KafkaRequest>(_ request: R, version: Int16, to address: BrokerAddress, timeout: TimeAmount)
        -> EventLoopFuture<R.Response> {
        eventLoop.makeFailedFuture(ApiError(.networkException, "unreachable"))
    }
    func alterPartition(_ request: AlterPartitionRequest, version: Int16, timeoutMs: Int64) async throws
        -> AlterPartitionResponse {
        throw ApiError(.networkException, "unreachable")
    }
}

/// A log directory with no logs.
private struct NoLogs: LogDirectory {
    func log(for tp: TopicPartition) -> (any PartitionLog)? { nil }
    func getOrCreateLog(for tp: TopicPartition, config: LogConfig) throws -> any PartitionLog {
        throw StorageError.closed
    }
    func deleteLog(for tp: TopicPartition) throws {}
    var allLogs: [TopicPartition: any PartitionLog] { [:] }
    func shutdown() {}
}
