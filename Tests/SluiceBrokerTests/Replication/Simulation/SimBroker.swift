import Foundation
import KafkaProtocol
import Logging
import NIOCore
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// One simulated broker: real partition logs (`DiskPartitionLog` in a RAM-backed directory), the
/// real ``ReplicaEngine`` (whose partitions park `acks=all` requests: the simulated request is the
/// produce token), and the bookkeeping a driver keeps (fetches in flight and parked, the
/// high-watermark checkpoint). A crash closes the logs without flushing and
/// drops everything in memory; a restart recovers the logs from their files, as after SIGKILL.
final class SimBroker {
    typealias Engine = ReplicaEngine<SimProduceRequest>
    typealias Effects = ReplicationEffects<SimProduceRequest>

    let id: Int32
    let directory: String
    let logConfig: LogConfig
    let replication: ReplicationConfig
    private(set) var engine: Engine?
    private(set) var logs: [TopicPartition: DiskPartitionLog] = [:]
    /// The last checkpointed high watermarks (what `replication-offset-checkpoint` holds).
    var highWatermarkCheckpoint: [TopicPartition: Int64] = [:]
    private(set) var incarnation = 0
    var brokerEpoch: Int64 = -1
    var registered = false
    /// Leader side: follower fetches waiting for data.
    var parkedFetches: [UInt64: ParkedFetch] = [:]
    var nextParkId: UInt64 = 1
    /// Follower side: the fetch in flight to each source (request id) and when it was sent.
    var fetchesInFlight: [Int32: UInt64] = [:]
    var alterInFlight: UInt64?
    var lastHeartbeat: Int64 = 0
    /// When the controller last heard from this broker (the controller's bookkeeping).
    var lastHeartbeatSeen: Int64 = 0
    var lastIsrCheck: Int64 = 0
    var lastCheckpoint: Int64 = 0

    struct ParkedFetch {
        var follower: Int32
        var followerIncarnation: Int
        var requestId: UInt64
        var request: FetchRequest
        var deadline: Int64
    }

    init(id: Int32, directory: String, logConfig: LogConfig, replication: ReplicationConfig) {
        self.id = id
        self.directory = directory
        self.logConfig = logConfig
        self.replication = replication
    }

    var isUp: Bool { engine != nil }

    static let logger: Logger = {
        var logger = Logger(label: "repl-sim")
        logger.logLevel = .critical
        return logger
    }()

    /// Boots from the data directory: every partition directory found is recovered (unclean).
    func start(now: Int64) throws {
        precondition(engine == nil)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
            guard let dash = name.lastIndex(of: "-"), let index = Int32(name[name.index(after: dash)...]) else { continue }
            let tp = TopicPartition(String(name[..<dash]), index)
            logs[tp] = try DiskPartitionLog.open(
                directory: "\(directory)/\(name)", topicPartition: tp, config: logConfig, logger: Self.logger,
                cleanShutdown: false, highWatermark: highWatermarkCheckpoint[tp], now: now)
        }
        engine = Engine(localId: id, config: replication)
        registered = false
        lastHeartbeat = now
        lastIsrCheck = now
        lastCheckpoint = now
    }

    /// A SIGKILL: files stay as written (the page cache survives a process crash), memory is lost.
    func crash() {
        for log in logs.values { log.closeWithoutFlush() }
        logs = [:]
        engine = nil
        parkedFetches = [:]
        fetchesInFlight = [:]
        alterInFlight = nil
        registered = false
        brokerEpoch = -1
        incarnation += 1
    }

    func log(for tp: TopicPartition, now: Int64) throws -> DiskPartitionLog {
        if let log = logs[tp] { return log }
        let log = try DiskPartitionLog.open(directory: "\(directory)/\(tp)", topicPartition: tp, config: logConfig,
                                            logger: Self.logger, now: now)
        logs[tp] = log
        return log
    }

    /// Writes the high-watermark checkpoint (periodic, as the log manager does).
    func checkpoint() {
        for (tp, log) in logs { highWatermarkCheckpoint[tp] = log.highWatermark }
    }

    func shutdownForCleanup() {
        for log in logs.values { log.closeWithoutFlush() }
        logs = [:]
        engine = nil
    }
}

/// A produce request as the simulated client sent it.
struct SimProduceRequest: Sendable {
    var client: Int
    var requestId: UInt64
    var topicPartition: TopicPartition
    var acks: Int16
    /// The idempotent producer's base sequence (-1 otherwise).
    var sequence: Int32
    var values: [String]
}
