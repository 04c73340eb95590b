import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SluiceBase
import SluiceRaft
import SluiceStorage
import Testing
@testable import SluiceBroker

/// Large metadata changes: batches of bounded size, transactions that take effect whole, the
/// limit on partitions per request, listeners that look only at what changed, and a Raft queue
/// that keeps answering while the controller works.
@Suite struct LargeMetadataChangeTests {
    static let topicId = KafkaUUID(high: 11, low: 12)

    static func partitions(_ count: Int, topicId: KafkaUUID = topicId, replicas: [Int32] = [1, 2]) -> [MetadataRecord] {
        (0..<count).map { .partition(PartitionRegistration(topicId: topicId, partition: Int32($0), replicas: replicas,
                                                             isr: replicas, leader: replicas[0])) }
    }

    // MARK: Batches

    @Test func batchesAreBoundedAndALargeAtomicOperationIsATransaction() {
        let small = [MetadataRecord.topic(name: "t", id: Self.topicId)] + Self.partitions(9)
        #expect(MetadataBatches.split(small, atomic: true, name: "x", maxRecordsPerBatch: 10) == [small])
        #expect(MetadataBatches.split([], atomic: true, name: "x", maxRecordsPerBatch: 10).isEmpty)

        let large = [MetadataRecord.topic(name: "t", id: Self.topicId)] + Self.partitions(25)
        let atomic = MetadataBatches.split(large, atomic: true, name: "creating t", maxRecordsPerBatch: 10)
        #expect(atomic.map(\.count) == [10, 10, 8])
        #expect(atomic.first?.first == .beginTransaction(name: "creating t"))
        #expect(atomic.last?.last == .endTransaction)
        #expect(Array(atomic.joined().dropFirst().dropLast()) == large, "the records themselves, in order")

        let plain = MetadataBatches.split(large, atomic: false, name: "x", maxRecordsPerBatch: 10)
        #expect(plain.map(\.count) == [10, 10, 6])
        #expect(Array(plain.joined()) == large, "no framing when each batch stands on its own")
        #expect(MetadataBatches.defaultMaxRecordsPerBatch == 10_000, "Kafka's MAX_RECORDS_PER_BATCH")
    }

    @Test func transactionRecordsRoundTrip() throws {
        let records: [MetadataRecord] = [.beginTransaction(name: "creating t"), .beginTransaction(name: nil),
                                         .endTransaction, .abortTransaction(reason: "lost"), .abortTransaction(reason: nil)]
        #expect(try MetadataRecordCodec.decode(MetadataRecordCodec.encode(records)) == records)
        #expect(records.map(\.typeId) == [23, 23, 24, 25, 25], "KRaft's record type ids")
    }

    // MARK: Proposals

    @Test func proposalsContinueTheLeadersLogInItsEpochOnly() throws {
        let queue = ProposalQueue()
        #expect(throws: RaftError.self) { try queue.append([[1]], epoch: 3) }
        queue.sync(leaderEpoch: 3, logEnd: 10)
        let first = try queue.append([[1], [2]], epoch: 3)
        #expect(first.positions == [OffsetAndEpoch(offset: 10, epoch: 3), OffsetAndEpoch(offset: 11, epoch: 3)])
        #expect(first.wasEmpty)
        let second = try queue.append([[3]], epoch: 3)
        #expect(second.positions == [OffsetAndEpoch(offset: 12, epoch: 3)] && !second.wasEmpty, "a drain is already due")
        #expect(throws: RaftError.self) { try queue.append([[4]], epoch: 2) }
        queue.sync(leaderEpoch: 3, logEnd: 11)  // the same epoch: nothing changes
        #expect(queue.drain().map(\.position.offset) == [10, 11, 12])
        #expect(try queue.append([[5]], epoch: 3).wasEmpty)
        // A new epoch starts at its log end; what waited for the old one is dropped.
        queue.sync(leaderEpoch: 5, logEnd: 20)
        #expect(queue.drain().isEmpty)
        #expect(try queue.append([[6]], epoch: 5).positions == [OffsetAndEpoch(offset: 20, epoch: 5)])
        queue.sync(leaderEpoch: nil, logEnd: 0)
        #expect(!queue.isOpen(epoch: 5) && queue.drain().isEmpty)
    }

    /// Raft's time is the monotonic clock's, however late the timer fires; a long stall is caught
    /// up a few ticks per firing.
    @Test func ticksFollowTheClockAndCatchUpGradually() {
        #expect(RaftDriver.ticksDue(nowMs: 10, tickMs: 10, given: 0) == 1)
        #expect(RaftDriver.ticksDue(nowMs: 19, tickMs: 10, given: 1) == 0, "not yet due")
        #expect(RaftDriver.ticksDue(nowMs: 40, tickMs: 10, given: 1) == 3, "a late firing gives every tick owed")
        #expect(RaftDriver.ticksDue(nowMs: 2_000, tickMs: 10, given: 4) == RaftDriver.maxCatchUpTicks, "a stall: a few at a time")
        var given: Int64 = 4
        var firings = 0
        while RaftDriver.ticksDue(nowMs: 2_000, tickMs: 10, given: given) > 0 {
            given += RaftDriver.ticksDue(nowMs: 2_000, tickMs: 10, given: given)
            firings += 1
        }
        #expect(given == 200 && firings == 40)
    }

    // MARK: The loader

    @Test func aTransactionTakesEffectWholeWhenItEnds() {
        var loader = MetadataLoader()
        _ = loader.replay([.registerBroker(BrokerRegistration(id: 1, incarnationId: "i", epoch: 0, endpoints: [],
                                                              rack: nil, fenced: false))], offset: 0)
        _ = loader.takeDelta()
        let batches = MetadataBatches.split([.topic(name: "t", id: Self.topicId)] + Self.partitions(25),
                                            atomic: true, name: "creating t", maxRecordsPerBatch: 10)
        for (index, batch) in batches.dropLast().enumerated() {
            #expect(loader.replay(batch, offset: Int64(1 + index)).isEmpty)
            #expect(loader.hasOpenTransaction)
            #expect(loader.image.topics["t"] == nil, "nothing of the transaction is visible before it ends")
            #expect(loader.image.offset == 1, "readers stay where the transaction began")
            #expect(loader.takeDelta().isEmpty)
        }
        #expect(loader.replay(batches.last!, offset: 3).isEmpty)
        #expect(!loader.hasOpenTransaction)
        #expect(loader.image.topics["t"]?.partitions.count == 25)
        #expect(loader.image.offset == 4)
        let delta = loader.takeDelta()
        #expect(delta.partitions[Self.topicId] == Set(0..<25))
        #expect(!delta.isFull && !delta.brokersChanged)
    }

    @Test func anAbortedTransactionNeverTakesEffect() {
        var loader = MetadataLoader()
        _ = loader.replay([.beginTransaction(name: "creating t"), .topic(name: "t", id: Self.topicId)] + Self.partitions(3),
                          offset: 0)
        _ = loader.replay([.abortTransaction(reason: "the controller changed")], offset: 1)
        #expect(!loader.hasOpenTransaction)
        #expect(loader.image.topics["t"] == nil)
        #expect(loader.image.offset == 2)
        #expect(loader.takeDelta().isEmpty)
        // What follows applies as usual.
        _ = loader.replay([.topic(name: "t", id: Self.topicId)] + Self.partitions(2), offset: 2)
        #expect(loader.image.topics["t"]?.partitions.count == 2)
        #expect(!loader.replay([.endTransaction], offset: 3).isEmpty, "an end without a beginning is reported")
    }

    // MARK: Local changes in proportion to the delta

    @Test func localChangesLookOnlyAtWhatTheDeltaNames() {
        var before = MetadataImage()
        for record in [.topic(name: "t", id: Self.topicId)] + Self.partitions(1000) { before.apply(record) }
        var after = before
        var delta = MetadataDelta()
        let change = MetadataRecord.partitionChange(PartitionChange(topicId: Self.topicId, partition: 7, leader: 2))
        delta.note(change, in: after)
        after.apply(change)
        let defaults = LogConfig()
        let changes = LocalPartitionDeltaBuilder.changes(from: before, to: after, delta: delta, broker: 1, logDefaults: defaults)
        guard changes.count == 1, case .becomeFollower(let p, true) = changes[0] else { Issue.record("\(changes)"); return }
        #expect(p.topicPartition == TopicPartition("t", 7) && p.registration.leader == 2)
        // Only what the delta names is looked at: a difference it does not name is not found.
        var unnamed = after
        unnamed.apply(.partitionChange(PartitionChange(topicId: Self.topicId, partition: 8, leader: 2)))
        #expect(LocalPartitionDeltaBuilder.changes(from: before, to: unnamed, delta: delta, broker: 1, logDefaults: defaults).count == 1)
        // A full delta finds every difference, as comparing whole images did.
        #expect(LocalPartitionDeltaBuilder.changes(from: before, to: unnamed, delta: .full, broker: 1, logDefaults: defaults).count == 2)

        // A removed topic stops every local replica it had.
        var removed = after
        var removal = MetadataDelta()
        removal.note(.removeTopic(id: Self.topicId), in: removed)
        removed.apply(.removeTopic(id: Self.topicId))
        let stops = LocalPartitionDeltaBuilder.changes(from: after, to: removed, delta: removal, broker: 2, logDefaults: defaults)
        #expect(stops.count == 1000 && stops.allSatisfy { if case .stopReplica = $0 { return true }; return false })

        // A config change reaches every local partition of the topic (their logs take it).
        var configured = after
        var configuring = MetadataDelta()
        let config = MetadataRecord.config(resourceType: 2, resourceName: "t", name: "retention.ms", value: "1000")
        configuring.note(config, in: configured)
        configured.apply(config)
        let reconfigured = LocalPartitionDeltaBuilder.changes(from: after, to: configured, delta: configuring, broker: 1,
                                                              logDefaults: defaults)
        #expect(reconfigured.count == 1000)
    }

    // MARK: Through a broker

    @Test func aTopicOfTenThousandPartitionsIsCreatedAsATransactionOfBoundedBatches() async throws {
        let fixture = try await BrokerFixture.start()
        let port = fixture.port
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let result = try await onThread(loop) {
            try RawKafkaConnection(port: port, timeoutSeconds: 120).roundTrip(CreateTopicsRequest(topics: [
                .init(name: "big", numPartitions: 10_000, replicationFactor: 1)], timeoutMs: 60_000), version: 7)
        }.get()
        #expect(result.topics.first?.errorCode == 0, "\(result.topics.first?.errorMessage ?? "")")
        let topic = try #require(fixture.broker.cluster.image.topics["big"])
        let node = fixture.broker.cluster.nodeID
        #expect(topic.partitions.count == 10_000 && topic.partitions.allSatisfy { $0.leader == node })
        #expect(fixture.logs.allLogs.keys.filter { $0.topic == "big" }.count == 10_000)
        await fixture.stop(removeDirectory: false)
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }

        // The metadata log: no batch over Kafka's 10,000 records, the topic framed as a transaction.
        let stored = try DiskRaftStore(directory: fixture.directory + "/__cluster_metadata-0").load()
        var batches: [[MetadataRecord]] = []
        for entry in stored.entries {
            if case .data(let bytes) = entry.payload { batches.append(try MetadataRecordCodec.decode(bytes)) }
        }
        #expect(batches.allSatisfy { $0.count <= 10_000 })
        let first = try #require(batches.firstIndex { $0.contains(.topic(name: "big", id: topic.id)) })
        #expect(batches[first].first == .beginTransaction(name: "creating topic big (10000 partitions)"))
        #expect(batches[first + 1].last == .endTransaction)
        #expect(batches[first...(first + 1)].joined().filter { if case .partition = $0 { return true }; return false }.count == 10_000)
    }

    @Test func tooManyPartitionsInOneRequestAreRefusedUpFront() async throws {
        let fixture = try await BrokerFixture.start { $0.controllerListener = BrokerAddress(host: "127.0.0.1", port: 0) }
        defer { Task { await fixture.stop() } }
        let port = fixture.port
        let controllerPort = try #require(fixture.broker.controllerAddress?.port)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let topics: [CreateTopicsRequest.CreatableTopic] = [.init(name: "a", numPartitions: 6000, replicationFactor: 1),
                                                            .init(name: "b", numPartitions: 4001, replicationFactor: 1)]
        // Through a broker, and straight to the controller: both refuse the whole request.
        for target in [port, controllerPort] {
            let response = try await onThread(loop) {
                try RawKafkaConnection(port: target).roundTrip(CreateTopicsRequest(topics: topics, timeoutMs: 30_000), version: 7)
            }.get()
            #expect(response.topics.map(\.name) == ["a", "b"])
            for topic in response.topics {
                #expect(topic.errorCode == ErrorCode.policyViolation.rawValue)
                #expect(topic.errorMessage == "Excessively large number of partitions per request: 10001 partitions, "
                        + "the limit is 10000 (create them in several requests).")
            }
        }
        #expect(fixture.broker.cluster.image.topics["a"] == nil && fixture.broker.cluster.image.topics["b"] == nil)

        // CreatePartitions counts the partitions it adds.
        let created = try await onThread(loop) {
            try RawKafkaConnection(port: port).roundTrip(CreateTopicsRequest(topics: [
                .init(name: "c", numPartitions: 1, replicationFactor: 1)], timeoutMs: 30_000), version: 7)
        }.get()
        #expect(created.topics.first?.errorCode == 0)
        for target in [port, controllerPort] {
            let grown = try await onThread(loop) {
                try RawKafkaConnection(port: target).roundTrip(CreatePartitionsRequest(
                    topics: [.init(name: "c", count: 10_002, assignments: nil)], timeoutMs: 30_000), version: 3)
            }.get()
            #expect(grown.results.first?.errorCode == ErrorCode.policyViolation.rawValue)
            #expect(grown.results.first?.errorMessage?.contains("10001 partitions, the limit is 10000") == true)
        }
        #expect(fixture.broker.cluster.image.topics["c"]?.partitions.count == 1)
    }

    /// The Raft queue answers (here: DescribeQuorum, served from the core's state) while the
    /// controller is busy with a long operation — the two no longer share a queue.
    ///
    /// The controller operation runs until the answer arrives (at most 120 s), and the question
    /// is asked from a thread the operation itself starts, so that a starved test task (the
    /// cooperative pool is shared by the whole suite) cannot make the check pass or fail late.
    @Test func raftKeepsAnsweringWhileTheControllerWorks() async throws {
        let fixture = try await BrokerFixture.start { $0.controllerListener = BrokerAddress(host: "127.0.0.1", port: 0) }
        defer { Task { await fixture.stop() } }
        let controllerPort = try #require(fixture.broker.controllerAddress?.port)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let released = NIOLockedValueBox(false)
        let finished = NIOLockedValueBox(false)
        let answer = loop.makePromise(of: (DescribeQuorumResponse, Bool).self)
        fixture.broker.cluster.driver.submit { _ in
            Thread {
                answer.completeWith(Result {
                    let response = try RawKafkaConnection(port: controllerPort, timeoutSeconds: 60).roundTrip(
                        DescribeQuorumRequest(topics: [.init(topicName: "__cluster_metadata",
                                                             partitions: [.init(partitionIndex: 0)])]), version: 1)
                    return (response, !finished.withLockedValue { $0 })
                })
                released.withLockedValue { $0 = true }
            }.start()
            let deadline = Date().addingTimeInterval(120)
            while !released.withLockedValue({ $0 }) && Date() < deadline { usleep(5_000) }
            finished.withLockedValue { $0 = true }
        }
        let (quorum, answeredWhileBusy) = try await answer.futureResult.get()
        #expect(answeredWhileBusy, "DescribeQuorum waited for the controller's operation")
        #expect(quorum.topics.first?.partitions.first?.leaderId == fixture.broker.cluster.nodeID)
    }

    /// A controller that lost its leadership half-way through a transaction leaves it open in the
    /// log; the next active controller aborts it, so that it never takes effect and what follows
    /// does.
    @Test func theNextControllerAbortsATransactionLeftOpen() async throws {
        let fixture = try await BrokerFixture.start()
        let directory = fixture.directory
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let port = fixture.port
        _ = try await onThread(loop) {
            try RawKafkaConnection(port: port).roundTrip(CreateTopicsRequest(topics: [
                .init(name: "before", numPartitions: 1, replicationFactor: 1)], timeoutMs: 30_000), version: 7)
        }.get()
        await fixture.stop(removeDirectory: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // The first half of a transaction, as a controller would have written it before it died.
        let store = try DiskRaftStore(directory: directory + "/__cluster_metadata-0")
        let state = try store.load()
        let end = state.logStartOffset + Int64(state.entries.count)
        let half: [MetadataRecord] = [.beginTransaction(name: "creating topic half"), .topic(name: "half", id: Self.topicId)]
            + Self.partitions(2, replicas: [1])
        try store.apply(.append([LogEntry(offset: end, epoch: state.quorumState.epoch,
                                          payload: .data(MetadataRecordCodec.encode(half)))]))

        let restarted = try await BrokerFixture.start(directory: directory)
        defer { Task { await restarted.stop(removeDirectory: false) } }
        let restartedPort = restarted.port
        let created = try await onThread(loop) {
            try RawKafkaConnection(port: restartedPort).roundTrip(CreateTopicsRequest(topics: [
                .init(name: "after", numPartitions: 1, replicationFactor: 1)], timeoutMs: 30_000), version: 7)
        }.get()
        #expect(created.topics.first?.errorCode == 0, "\(created.topics.first?.errorMessage ?? "")")
        let image = restarted.broker.cluster.image
        #expect(image.topics["after"] != nil, "records after the aborted transaction take effect")
        #expect(image.topics["half"] == nil && image.topics["before"] != nil)
    }

    // MARK: Helpers

    /// Starts `body` on a thread of its own now (blocking sockets stay off the cooperative pool).
    private func onThread<T: Sendable>(_ loop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        let promise = loop.makePromise(of: T.self)
        Thread { promise.completeWith(Result { try body() }) }.start()
        return promise.futureResult
    }
}
