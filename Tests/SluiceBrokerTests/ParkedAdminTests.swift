#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KafkaProtocol
import NIOCore
import NIOPosix
import SluiceBase
import SluiceStorage
import Testing
@testable import SluiceBroker

/// Admin requests that wait for a controller must not take the I/O pool or an event loop with
/// them: a cluster whose only controller is stopped gets more CreateTopics, InitProducerId and
/// auto-creating Metadata requests than its brokers have I/O threads, and meanwhile consumer
/// fetches and follower replication of an existing partition go on at their usual pace. Once the
/// controller is back, the waiting requests are answered.
///
/// The clients are blocking sockets on threads of their own, started at once: when other tests
/// hold the cooperative pool, its delays must not count as latency or outlast the 30 s a broker
/// waits for a controller.
@Suite struct ParkedAdminTests {
    static let topic = "stable"
    static let tp = TopicPartition(topic, 0)

    @Test func fetchesAndReplicationGoOnWhileAdminRequestsWaitForTheController() async throws {
        // Two I/O threads per broker: fewer than the admin requests parked on each.
        let cluster = try await InProcessCluster.start(brokers: 2) { $0.ioThreads = 2 }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await scenario(cluster, loop: group.next())
        } catch {
            await cluster.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await cluster.stop()
        try? await group.shutdownGracefully()
    }

    private func scenario(_ cluster: InProcessCluster, loop: any EventLoop) async throws {
        // "stable": led by broker 2, followed by broker 3.
        let leader = cluster.broker(2).advertised.port
        var topic = CreateTopicsRequest.CreatableTopic(name: Self.topic, numPartitions: -1, replicationFactor: -1)
        topic.assignments = [.init(partitionIndex: 0, brokerIds: [2, 3])]
        #expect(try await createTopics([topic], at: leader, loop: loop) == 0)
        try await waitUntil("broker 2 leads \(Self.tp) and broker 3 follows it") {
            cluster.broker(2).services.localReplicas.leadership(of: Self.tp)?.isLeader == true
                && cluster.logs(3).log(for: Self.tp) != nil
        }
        let (leaderLogs, followerLogs) = (cluster.logs(2), cluster.logs(3))
        #expect(try await onThread(loop) { try Self.produce(5, RawKafkaConnection(port: leader)) }.get() == 0)
        try await waitUntil("broker 3 replicated the first records and they are committed (consumers see them)") {
            (followerLogs.log(for: Self.tp)?.logEndOffset ?? 0) >= 5 && (leaderLogs.log(for: Self.tp)?.highWatermark ?? 0) >= 5
        }
        let before = try await onThread(loop) {
            try Self.measure(leader: leader, leaderLogs: leaderLogs, followerLogs: followerLogs)
        }.get()
        #expect(before.failures.isEmpty, "\(before.failures)")

        // The controller goes away: admin requests to brokers 2 and 3 now wait for it.
        await cluster.stopNode(1)
        var parked: [EventLoopFuture<AdminOutcome>] = []
        for broker in [cluster.broker(2), cluster.broker(3)] {
            let (id, port) = (broker.config.nodeId, broker.advertised.port)
            for i in 0..<2 {
                parked.append(park(at: port, loop: loop) { connection in
                    let request = CreateTopicsRequest(topics: [.init(name: "parked-\(id)-\(i)", numPartitions: 1, replicationFactor: 1)],
                                                      timeoutMs: 60_000)
                    return .createTopics(try connection.roundTrip(request, version: 7).topics.first?.errorCode ?? -2)
                })
                parked.append(park(at: port, loop: loop) { connection in
                    let response = try connection.roundTrip(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1),
                                                            version: 4)
                    return .initProducerId(response.errorCode, response.producerId)
                })
                parked.append(park(at: port, loop: loop) { connection in
                    let request = MetadataRequest(topics: [.init(name: "auto-\(id)-\(i)")], allowAutoTopicCreation: true)
                    return .metadata(try connection.roundTrip(request, version: 12).topics.first?.errorCode ?? -2)
                })
            }
        }
        let count = parked.count
        let (metadata2, metadata3) = (cluster.broker(2).services.metadata, cluster.broker(3).services.metadata)
        let waiting: @Sendable () -> Int = { metadata2.changesInFlight + metadata3.changesInFlight }
        let whileParked = try await onThread(loop) { () -> (Int, Measured, Int) in
            // Every request reached its broker and waits for the controller (or 10 s passed).
            let deadline = ContinuousClock.now + .seconds(10)
            while waiting() < count && ContinuousClock.now < deadline { usleep(5_000) }
            let parkedBefore = waiting()
            let measured = try Self.measure(leader: leader, leaderLogs: leaderLogs, followerLogs: followerLogs)
            return (parkedBefore, measured, waiting())
        }.get()
        let (parkedBefore, parkedMeasures, parkedAfter) = whileParked
        #expect(parkedBefore == count, "admin requests waiting for the controller: \(parkedBefore) of \(count)")
        #expect(parkedAfter > 0, "the admin requests were still waiting while fetches were measured")
        #expect(parkedMeasures.failures.isEmpty, "\(parkedMeasures.failures)")
        print("fetch latency before / while parked (max): \(before.fetches.max()!) / \(parkedMeasures.fetches.max()!); "
              + "replication latency (max): \(before.replication.max()!) / \(parkedMeasures.replication.max()!)")
        // Generous bounds (a loaded machine): the point is "served", not "stuck behind the admin requests".
        #expect(parkedMeasures.fetches.max()! < max(.seconds(2), before.fetches.max()! * 20))
        #expect(parkedMeasures.replication.max()! < max(.seconds(3), before.replication.max()! * 20))

        // The controller comes back: every waiting request is answered (or timed out, on a very slow run).
        try await cluster.startNode(1)
        var producerIds: [Int64] = []
        var codes: [String] = []
        for future in parked {
            let outcome = try await future.get()
            switch outcome {
            case let .createTopics(code):
                // TOPIC_ALREADY_EXISTS: the controller that created it lost its leadership before
                // answering (a loaded machine), and the broker's retry reached the next one — as
                // Kafka's forwarding does.
                #expect([0, ErrorCode.requestTimedOut.rawValue, ErrorCode.topicAlreadyExists.rawValue].contains(code),
                        "\(outcome): \(ErrorCode(code))")
                codes.append("\(ErrorCode(code))")
            case let .metadata(code):
                // Retriable answers a client asks again after, when the topic's creation is late.
                #expect([0, ErrorCode.requestTimedOut.rawValue, ErrorCode.leaderNotAvailable.rawValue,
                         ErrorCode.unknownTopicOrPartition.rawValue].contains(code), "\(outcome): \(ErrorCode(code))")
                codes.append("\(ErrorCode(code))")
            case let .initProducerId(code, id):
                #expect(code == 0 || code == ErrorCode.kafkaStorageError.rawValue, "\(outcome): \(ErrorCode(code))")
                if code == 0 { producerIds.append(id) }
                codes.append("\(ErrorCode(code))")
            }
        }
        print("the parked admin requests, once the controller was back: \(codes.joined(separator: ", ")); producer ids \(producerIds)")
        #expect(Set(producerIds).count == producerIds.count, "distinct producer ids: \(producerIds)")
        if producerIds.count == 4 {
            // Each broker asked the controller for one block, shared by its concurrent callers: two
            // blocks (a third when a controller change made a broker ask again), never one per caller.
            let blockSize = ControllerSettings().producerIdBlockSize
            let blocks = { cluster.broker(1).cluster.image.nextProducerIdBlock / blockSize }
            _ = try? await waitUntil("the controller's image has both blocks", timeout: .seconds(5)) { blocks() >= 2 }
            #expect(blocks() >= 2 && blocks() < producerIds.count, "producer-id blocks handed out: \(blocks())")
        }
        #expect(waiting() == 0)
        #expect(try await createTopics([.init(name: "after", numPartitions: 1, replicationFactor: 1)], at: leader, loop: loop) == 0)
    }

    /// A broker stopping while admin requests wait for the controller ends them (their connections
    /// close, or they fail) and stops; none is left behind unanswered.
    @Test func aBrokerStopsWhileAdminRequestsWaitForTheController() async throws {
        let cluster = try await InProcessCluster.start(brokers: 1) { $0.ioThreads = 2 }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        do {
            await cluster.stopNode(1)
            let broker = cluster.broker(2)
            let port = broker.advertised.port
            let parked = [
                park(at: port, loop: loop) { connection in
                    .createTopics(try connection.roundTrip(CreateTopicsRequest(topics: [
                        .init(name: "parked", numPartitions: 1, replicationFactor: 1)], timeoutMs: 60_000), version: 7)
                        .topics.first?.errorCode ?? -2)
                },
                park(at: port, loop: loop) { connection in
                    let response = try connection.roundTrip(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1),
                                                            version: 4)
                    return .initProducerId(response.errorCode, response.producerId)
                },
                park(at: port, loop: loop) { connection in
                    .metadata(try connection.roundTrip(MetadataRequest(topics: [.init(name: "auto")], allowAutoTopicCreation: true),
                                                       version: 12).topics.first?.errorCode ?? -2)
                },
            ]
            try await waitUntil("the admin requests wait for the controller") { broker.services.metadata.changesInFlight == 3 }
            await cluster.stopNode(2)
            #expect(broker.services.metadata.changesInFlight == 0)
            for future in parked {
                // The broker closed the connection (a client error), or answered with an error code.
                if let outcome = try? await future.get() {
                    switch outcome {
                    case let .createTopics(code), let .metadata(code), let .initProducerId(code, _): #expect(code != 0)
                    }
                }
            }
        } catch {
            await cluster.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await cluster.stop()
        try? await group.shutdownGracefully()
    }

    // MARK: Admin requests left waiting

    enum AdminOutcome: Sendable {
        case createTopics(Int16)
        case initProducerId(Int16, Int64)
        case metadata(Int16)
    }

    /// Sends one admin request on a connection of its own (a connection answers in request order)
    /// from a thread of its own, started now; waits up to 90 s for the answer.
    private func park(at port: Int, loop: any EventLoop,
                      _ request: @escaping @Sendable (RawKafkaConnection) throws -> AdminOutcome) -> EventLoopFuture<AdminOutcome> {
        onThread(loop) { try request(RawKafkaConnection(port: port, timeoutSeconds: 90)) }
    }

    private func createTopics(_ topics: [CreateTopicsRequest.CreatableTopic], at port: Int, loop: any EventLoop) async throws -> Int16 {
        try await onThread(loop) {
            let response = try RawKafkaConnection(port: port, timeoutSeconds: 60)
                .roundTrip(CreateTopicsRequest(topics: topics, timeoutMs: 30_000), version: 7)
            return response.topics.allSatisfy { $0.errorCode == 0 } ? 0 : response.topics.first { $0.errorCode != 0 }!.errorCode
        }.get()
    }

    // MARK: What must go on meanwhile

    struct Measured: Sendable {
        var fetches: [Duration]
        var replication: [Duration]
        /// Fetches answered with an error or without records, appends refused: none expected.
        var failures: [String] = []
    }

    /// Ten consumer fetches of the partition's first records from its leader, one after another,
    /// and three appends at the leader timed until the follower's log has them. A fetch not
    /// answered within 10 s fails the measurement.
    private static func measure(leader: Int, leaderLogs: LogManager, followerLogs: LogManager) throws -> Measured {
        let consumer = try RawKafkaConnection(port: leader, timeoutSeconds: 10)
        var fetches: [Duration] = []
        var failures: [String] = []
        for _ in 0..<10 {
            let request = FetchRequest(maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [
                .init(topic: topic, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
            ])
            let start = ContinuousClock.now
            let response = try consumer.roundTrip(request, version: 12)
            fetches.append(ContinuousClock.now - start)
            let partition = response.responses.first?.partitions.first
            if partition?.errorCode != 0 || (partition?.records?.byteCount ?? 0) == 0 {
                failures.append("fetch: \(ErrorCode(partition?.errorCode ?? -1)), \(partition?.records?.byteCount ?? 0) bytes")
            }
        }
        let producer = try RawKafkaConnection(port: leader, timeoutSeconds: 10)
        var replication: [Duration] = []
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let code = try produce(1, producer)
            if code != 0 { failures.append("produce: \(ErrorCode(code))") }
            guard let end = leaderLogs.log(for: tp)?.logEndOffset else { throw TimedOut(description: "broker 2 has no log of \(tp)") }
            let deadline = start + .seconds(15)
            while (followerLogs.log(for: tp)?.logEndOffset ?? 0) < end {
                guard ContinuousClock.now < deadline else { throw TimedOut(description: "broker 3 did not replicate up to \(end)") }
                usleep(1_000)
            }
            replication.append(ContinuousClock.now - start)
        }
        return Measured(fetches: fetches, replication: replication, failures: failures)
    }

    /// Appends `records` at the leader (acks=1); the partition's error code.
    private static func produce(_ records: Int, _ producer: RawKafkaConnection) throws -> Int16 {
        let response = try producer.roundTrip(produceRequest(topic: topic, acks: 1, batch: try makeBatch(records)), version: 9)
        return response.responses.first?.partitionResponses.first?.errorCode ?? -1
    }

    // MARK: Helpers

    struct TimedOut: Error, CustomStringConvertible { var description: String }

    /// Starts `body` on a thread of its own now; blocking sockets and polling there are not delayed
    /// by tests that hold the cooperative pool.
    private func onThread<T: Sendable>(_ loop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        let promise = loop.makePromise(of: T.self)
        Thread { promise.completeWith(Result { try body() }) }.start()
        return promise.futureResult
    }

    /// Polls `condition` every 10 ms until it holds; throws after `timeout`.
    private func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
