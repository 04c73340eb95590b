import Foundation
import KafkaProtocol
import NIOCore

/// One broker process shared by the interop suites (started on first use, killed with the test
/// process through `--exit-with-parent`), and helpers to look at what it stored.
enum SharedBroker {
    private static let instance = SharedBrokerCell { try await BrokerProcess.started() }

    static func get() async throws -> BrokerProcess { try await instance.get() }

    /// A topic name no other test uses.
    static func topic(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The batches stored in partition 0 of `topic`, fetched raw (to check codecs and offsets).
    static func storedBatches(_ broker: BrokerProcess, topic: String) async throws -> [RecordBatch] {
        try await storedBatchesOn(port: broker.port, topic: topic, partition: 0)
    }

    /// Every batch of a partition, fetched raw from offset 0.
    static func storedBatchesOn(port: Int, topic: String, partition: Int32) async throws -> [RecordBatch] {
        let connection = try await RawKafkaConnection(port: port)
        var batches: [RecordBatch] = []
        var offset: Int64 = 0
        while true {
            let request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, topics: [
                .init(topic: topic, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: 64 << 20)]),
            ])
            let response = try await connection.roundTrip(request, version: 11)
            guard case let .bytes(bytes)? = response.responses.first?.partitions.first?.records else { return batches }
            let found = Array(RecordBatchSequence(bytes))
            if found.isEmpty { return batches }
            batches += found
            offset = found.last!.nextOffset
        }
    }
}

/// Milliseconds since the epoch, a minute ago: timestamps recent enough that retention keeps them.
func recentTimestamp() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) - 60_000 }

/// A broker process shared by the tests of a run: started by the first test that asks, again
/// when it is found dead; the tests that share it never stop it (`--exit-with-parent` and an
/// exit handler end it with the test process).
actor SharedBrokerCell {
    private let make: @Sendable () async throws -> BrokerProcess
    private var current: BrokerProcess?
    private var starting: Task<BrokerProcess, any Error>?

    init(_ make: @escaping @Sendable () async throws -> BrokerProcess) { self.make = make }

    func get() async throws -> BrokerProcess {
        if let current, current.isRunning { return current }
        if let starting { return try await starting.value }
        let task = Task { try await make() }
        starting = task
        defer { starting = nil }
        let broker = try await task.value
        if current == nil { SharedBrokers.killAtExit(broker) }
        current = broker
        return broker
    }
}

/// The shared brokers, SIGKILLed when the test process exits: `--exit-with-parent` is not enough
/// when the test runner's blocked signals are inherited.
enum SharedBrokers {
    nonisolated(unsafe) private static var pids: [Int32] = []
    private static let lock = NSLock()

    static func killAtExit(_ broker: BrokerProcess) {
        guard let pid = broker.child?.pid else { return }
        lock.withLock {
            if pids.isEmpty { atexit { SharedBrokers.killAll() } }
            pids.append(pid)
        }
    }

    private static func killAll() {
        for pid in lock.withLock({ pids }) { kill(pid, SIGKILL) }
    }
}

extension BrokerProcess {
    /// A broker started with `extraArguments`.
    static func started(extraArguments: [String] = []) async throws -> BrokerProcess {
        let broker = try BrokerProcess(extraArguments: extraArguments)
        try await broker.start()
        return broker
    }
}
