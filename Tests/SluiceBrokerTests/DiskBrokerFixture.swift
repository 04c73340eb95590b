import Foundation
import KafkaProtocol
import Logging
import NIOCore
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// An in-process broker over the real storage engine (a `LogManager` in a temporary data
/// directory), which can be stopped and started again on the same directory, as `sluice broker`
/// wires them: the metadata file and the partition directories side by side.
final class DiskBrokerFixture {
    let directory: String
    private let configure: (inout BrokerConfig) -> Void
    private(set) var broker: Broker
    private(set) var logs: LogManager

    private init(directory: String, configure: @escaping (inout BrokerConfig) -> Void, broker: Broker, logs: LogManager) {
        self.directory = directory
        self.configure = configure
        self.broker = broker
        self.logs = logs
    }

    /// Runs `body` with a started broker, then stops it and removes its directory (also when
    /// `body` throws).
    static func with(configure: @escaping (inout BrokerConfig) -> Void = { _ in },
                     _ body: (DiskBrokerFixture) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-disk-broker-\(UUID().uuidString)").path
        let (broker, logs) = try await launch(directory: dir, configure: configure)
        let fixture = DiskBrokerFixture(directory: dir, configure: configure, broker: broker, logs: logs)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    private static func launch(directory: String, configure: (inout BrokerConfig) -> Void) async throws -> (Broker, LogManager) {
        var config = BrokerConfig()
        config.listener = BrokerAddress(host: "127.0.0.1", port: 0)
        config.dataDirectory = directory
        config.ioThreads = 2
        config.groups.offsetsTopicPartitions = 1
        configure(&config)
        var logger = Logger(label: "test.disk-broker")
        logger.logLevel = .error
        let logs = try LogManager(directory: directory, defaults: config.logDefaults, logger: logger)
        do {
            return (try await Broker.start(config: config, logs: logs, logger: logger, eventLoopThreads: 1), logs)
        } catch {
            logs.shutdown()
            throw error
        }
    }

    var port: Int { broker.advertised.port }

    func connect() throws -> RawKafkaConnection { try RawKafkaConnection(port: port) }

    /// A clean shutdown (the broker closes the logs), then a new broker and log manager on the
    /// same directory, returning once the broker leads every partition again.
    func restart() async throws {
        await broker.shutdown()
        (broker, logs) = try await Self.launch(directory: directory, configure: configure)
        try await waitUntilLeading()
    }

    /// Waits (up to 10 s) until this broker's replicas lead every partition of its metadata. A
    /// restarted broker is ready once the controller unfences it; it is elected leader of its
    /// partitions in that same step, and serves them a moment later, when the change reaches
    /// its replicas.
    func waitUntilLeading() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        func leadsEverything() -> Bool {
            let image = broker.cluster.image
            guard !image.topics.isEmpty else { return false }
            return image.topics.values.allSatisfy { topic in
                topic.partitions.allSatisfy { p in
                    p.leader == broker.config.nodeId
                        && broker.services.replicas.engine.partition(TopicPartition(topic.name, p.partition))?
                            .leaderCheck(currentLeaderEpoch: -1) == .noError
                }
            }
        }
        while !leadsEverything() {
            guard ContinuousClock.now < deadline else { throw NotLeading() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    struct NotLeading: Error, CustomStringConvertible {
        var description: String { "the restarted broker does not lead its partitions within 10 s" }
    }

    func stop() async {
        await broker.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
