import Foundation
import KafkaProtocol
import Logging
import NIOCore
import SluiceBase
@testable import SluiceBroker

/// An in-process broker on an ephemeral port, with in-memory logs and a temporary data directory.
struct BrokerFixture {
    let broker: Broker
    let logs: InMemoryLogDirectory
    let directory: String

    static func start(directory: String? = nil, logs: InMemoryLogDirectory = InMemoryLogDirectory(),
                      configure: (inout BrokerConfig) -> Void = { _ in }) async throws -> BrokerFixture {
        let dir = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-broker-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var config = BrokerConfig()
        config.listener = BrokerAddress(host: "127.0.0.1", port: 0)
        config.dataDirectory = dir
        config.ioThreads = 2
        configure(&config)
        var logger = Logger(label: "test.broker")
        logger.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"] == "1" ? .debug : .error
        let broker = try await Broker.start(config: config, logs: logs, logger: logger, eventLoopThreads: 1)
        return BrokerFixture(broker: broker, logs: logs, directory: dir)
    }

    var port: Int { broker.advertised.port }

    func connect() throws -> RawKafkaConnection { try RawKafkaConnection(port: port) }

    func stop(removeDirectory: Bool = true) async {
        await broker.shutdown()
        if removeDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// A batch of `count` records with values "prefix-i".
func makeBatch(_ count: Int, prefix: String = "v", timestamp: Int64 = 1_700_000_000_000,
               producerId: Int64 = -1, sequence: Int32 = -1) throws -> RecordBatch {
    var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1,
                                     baseSequence: sequence)
    for i in 0..<count {
        builder.append(key: nil, value: ByteBuffer(string: "\(prefix)-\(i)"), timestamp: timestamp + Int64(i))
    }
    return try builder.build()
}

func produceRequest(topic: String, partition: Int32 = 0, acks: Int16 = 1, batch: RecordBatch) -> ProduceRequest {
    ProduceRequest(acks: acks, timeoutMs: 5000, topicData: [
        .init(name: topic, partitionData: [.init(index: partition, records: .bytes(batch.bytes))]),
    ])
}
