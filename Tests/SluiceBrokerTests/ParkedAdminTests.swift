import Foundation
import KafkaProtocol
import NIOCore
import NIOPosix
import SluiceClient
import SluiceStorage
import Testing
@testable import SluiceBroker

/// Admin requests that wait for a controller must not take the I/O pool or an event loop with
/// them: a cluster whose only controller is stopped gets more CreateTopics, InitProducerId and
/// auto-creating Metadata requests than its brokers have I/O threads, and meanwhile consumer
/// fetches and follower replication of an existing partition go on at their usual pace. Once the
/// controller is back, the waiting requests are answered.
@Suite struct ParkedAdminTests {
    static let topic = "stable"
    static let tp = SluiceStorage.TopicPartition(topic, 0)

    @Test func fetchesAndReplicationGoOnWhileAdminRequestsWaitForTheController() async throws {
        // Two I/O threads per broker: fewer than the admin requests parked on each.
        let cluster = try await InProcessCluster.start(brokers: 2) { $0.ioThreads = 2 }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await scenario(cluster, group: group)
        } catch {
            await cluster.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await cluster.stop()
        try? await group.shutdownGracefully()
    }

    /// A broker stopping while admin requests wait for the controller ends them (their connections
    /// close, or they fail) and stops; none is left behind unanswered.
    @Test func aBrokerStopsWhileAdminRequestsWaitForTheController() async throws {
        let cluster = try await InProcessCluster.start(brokers: 1) { $0.ioThreads = 2 }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            await cluster.stopNode(1)
            let broker = cluster.broker(2)
            let parked = [
                try await parkCreateTopic("parked", at: broker, group: group),
                try await parkInitProducerId(at: broker, group: group),
                try await parkAutoCreatingMetadata("auto", at: broker, group: group),
            ]
            try await waitUntil("the admin requests wait for the controller") { broker.services.metadata.changesInFlight == 3 }
            await cluster.stopNode(2)
            #expect(broker.services.metadata.changesInFlight == 0)
            for task in parked {
                // The broker closed the connection (a client error), or answered with an error code.
                if case .success(let outcome) = await task.result {
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

    private func scenario(_ cluster: InProcessCluster, group: MultiThreadedEventLoopGroup) async throws {
        // "stable": led by broker 2, followed by broker 3.
        let admin = try await connect(cluster.broker(2), group: group)
        var topic = CreateTopicsRequest.CreatableTopic(name: Self.topic, numPartitions: -1, replicationFactor: -1)
        topic.assignments = [.init(partitionIndex: 0, brokerIds: [2, 3])]
        let created = try await admin.send(CreateTopicsRequest(topics: [topic], timeoutMs: 30_000), version: 7)
        #expect(created.topics.first?.errorCode == 0, "\(created)")
        try await waitUntil("broker 2 leads \(Self.tp) and broker 3 follows it") {
            cluster.broker(2).services.localReplicas.leadership(of: Self.tp)?.isLeader == true
                && cluster.logs(3).log(for: Self.tp) != nil
        }
        let producer = try await connect(cluster.broker(2), group: group)
        let consumer = try await connect(cluster.broker(2), group: group)
        try await produce(5, to: producer)
        try await waitUntil("broker 3 replicated the first records and they are committed (consumers see them)") {
            (cluster.logs(3).log(for: Self.tp)?.logEndOffset ?? 0) >= 5
                && (cluster.logs(2).log(for: Self.tp)?.highWatermark ?? 0) >= 5
        }

        let fetchesBefore = try await fetchLatencies(consumer, count: 10)
        let replicationBefore = try await replicationLatencies(cluster, producer: producer, count: 3)

        // The controller goes away: admin requests to brokers 2 and 3 now wait for it.
        await cluster.stopNode(1)
        var parked: [Task<AdminOutcome, any Error>] = []
        for broker in [cluster.broker(2), cluster.broker(3)] {
            let id = broker.config.nodeId
            for i in 0..<2 {
                parked.append(try await parkCreateTopic("parked-\(id)-\(i)", at: broker, group: group))
                parked.append(try await parkInitProducerId(at: broker, group: group))
                parked.append(try await parkAutoCreatingMetadata("auto-\(id)-\(i)", at: broker, group: group))
            }
        }
        let waiting = { [cluster] in
            cluster.broker(2).services.metadata.changesInFlight + cluster.broker(3).services.metadata.changesInFlight
        }
        let allParked = (try? await waitUntil("every admin request waits for the controller", timeout: .seconds(10)) {
            waiting() == parked.count
        }) != nil
        #expect(allParked, "admin requests waiting for the controller: \(waiting()) of \(parked.count)")

        let fetchesParked = try await fetchLatencies(consumer, count: 10)
        let replicationParked = try await replicationLatencies(cluster, producer: producer, count: 3)
        #expect(waiting() > 0, "the admin requests were still waiting while fetches were measured")
        print("fetch latency before / while parked (max): \(fetchesBefore.max()!) / \(fetchesParked.max()!); "
              + "replication latency (max): \(replicationBefore.max()!) / \(replicationParked.max()!)")
        // Generous bounds (a loaded machine): the point is "served", not "stuck behind the admin requests".
        #expect(fetchesParked.max()! < max(.seconds(2), fetchesBefore.max()! * 20))
        #expect(replicationParked.max()! < max(.seconds(3), replicationBefore.max()! * 20))

        // The controller comes back: every waiting request is answered (or timed out, on a very slow run).
        try await cluster.startNode(1)
        var producerIds: [Int64] = []
        var codes: [String] = []
        for task in parked {
            let outcome = try await task.value
            switch outcome {
            case let .createTopics(code), let .metadata(code):
                #expect(code == 0 || code == ErrorCode.requestTimedOut.rawValue, "\(outcome): \(ErrorCode(code))")
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
            // Each broker asked the controller for one block, shared by its concurrent callers.
            let blockSize = ControllerSettings().producerIdBlockSize
            let blocks = { cluster.broker(1).cluster.image.nextProducerIdBlock / blockSize }
            _ = try? await waitUntil("the controller's image has both blocks", timeout: .seconds(5)) { blocks() >= 2 }
            #expect(blocks() == 2, "producer-id blocks handed out: \(blocks())")
        }
        #expect(waiting() == 0)
        let after = try await admin.send(CreateTopicsRequest(topics: [.init(name: "after", numPartitions: 1, replicationFactor: 1)],
                                                             timeoutMs: 30_000), version: 7)
        #expect(after.topics.first?.errorCode == 0, "\(after)")
        for connection in [admin, producer, consumer] { connection.close() }
    }

    // MARK: Admin requests left waiting

    enum AdminOutcome: Sendable {
        case createTopics(Int16)
        case initProducerId(Int16, Int64)
        case metadata(Int16)
    }

    /// Each request on a connection of its own (a connection answers in request order).
    private func parkCreateTopic(_ name: String, at broker: Broker, group: any EventLoopGroup) async throws
        -> Task<AdminOutcome, any Error> {
        let connection = try await connect(broker, group: group, timeout: .seconds(90))
        return Task {
            defer { connection.close() }
            let request = CreateTopicsRequest(topics: [.init(name: name, numPartitions: 1, replicationFactor: 1)], timeoutMs: 60_000)
            return .createTopics(try await connection.send(request, version: 7).topics.first?.errorCode ?? -2)
        }
    }

    private func parkInitProducerId(at broker: Broker, group: any EventLoopGroup) async throws -> Task<AdminOutcome, any Error> {
        let connection = try await connect(broker, group: group, timeout: .seconds(90))
        return Task {
            defer { connection.close() }
            let response = try await connection.send(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1), version: 4)
            return .initProducerId(response.errorCode, response.producerId)
        }
    }

    private func parkAutoCreatingMetadata(_ name: String, at broker: Broker, group: any EventLoopGroup) async throws
        -> Task<AdminOutcome, any Error> {
        let connection = try await connect(broker, group: group, timeout: .seconds(90))
        return Task {
            defer { connection.close() }
            let request = MetadataRequest(topics: [.init(name: name)], allowAutoTopicCreation: true)
            return .metadata(try await connection.send(request, version: 12).topics.first?.errorCode ?? -2)
        }
    }

    // MARK: What must go on meanwhile

    /// Consumer fetches of the partition's first records from its leader, one after another.
    private func fetchLatencies(_ consumer: BrokerConnection, count: Int) async throws -> [Duration] {
        var latencies: [Duration] = []
        for _ in 0..<count {
            let request = FetchRequest(maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [
                .init(topic: Self.topic, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
            ])
            let start = ContinuousClock.now
            let response = try await consumer.send(request, version: 12, timeout: .seconds(10))
            latencies.append(ContinuousClock.now - start)
            let partition = response.responses.first?.partitions.first
            #expect(partition?.errorCode == 0)
            #expect((partition?.records?.byteCount ?? 0) > 0, "the fetch returned records")
        }
        return latencies
    }

    /// From an append at the leader (broker 2) to the same log end at the follower (broker 3).
    private func replicationLatencies(_ cluster: InProcessCluster, producer: BrokerConnection, count: Int) async throws
        -> [Duration] {
        var latencies: [Duration] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            try await produce(1, to: producer)
            let end = try #require(cluster.logs(2).log(for: Self.tp)?.logEndOffset)
            try await waitUntil("broker 3 replicated up to \(end)", timeout: .seconds(15)) {
                (cluster.logs(3).log(for: Self.tp)?.logEndOffset ?? 0) >= end
            }
            latencies.append(ContinuousClock.now - start)
        }
        return latencies
    }

    private func produce(_ records: Int, to producer: BrokerConnection) async throws {
        let response = try await producer.send(produceRequest(topic: Self.topic, acks: 1, batch: try makeBatch(records)),
                                               version: 9, timeout: .seconds(10))
        #expect(response.responses.first?.partitionResponses.first?.errorCode == 0)
    }

    // MARK: Helpers

    private func connect(_ broker: Broker, group: any EventLoopGroup, timeout: Duration = .seconds(30)) async throws
        -> BrokerConnection {
        let address = BrokerAddress(host: "127.0.0.1", port: broker.advertised.port)
        let configuration = ClientConfiguration(bootstrapServers: [address], requestTimeout: timeout)
        return try await BrokerConnection.connect(to: address, nodeId: broker.config.nodeId, configuration: configuration,
                                                  group: group)
    }

    struct TimedOut: Error, CustomStringConvertible { var description: String }

    /// Polls `condition` every 10 ms until it holds; throws after `timeout`.
    private func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
