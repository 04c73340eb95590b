import Foundation
import KafkaProtocol
import NIOCore
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// A deterministic cluster for replication: brokers with real logs and the real replication
/// engine, a test controller (``TestController``) that elects leaders only from the ISR, idempotent
/// `acks=all` producers and `acks=1` producers, on a simulated network (latency, loss, partitions)
/// and clock. Scenario language:
///
/// ```swift
/// let sim = try ReplicationSim(seed: 7)
/// try sim.run(for: 2_000)
/// sim.broker(1).crash()
/// sim.partition([1], [2, 3])
/// try sim.runUntil("a new leader") { $0.controller.state(sim.topics[0])?.leader != 1 }
/// ```
///
/// After every event a ``ReplicationChecker`` verifies that acknowledged records are never lost
/// or changed and that replicas never disagree below their high watermarks.
final class ReplicationSim {
    struct Options {
        var brokers: [Int32] = [1, 2, 3]
        var partitions = 2
        var replicationFactor = 3
        var minInsyncReplicas: Int32 = 2
        var replication: ReplicationConfig = {
            var config = ReplicationConfig()
            config.replicaLagTimeMaxMs = 1_500
            config.fetchWaitMaxMs = 200
            config.fetchBackoffMs = 100
            config.socketTimeoutMs = 1_000
            config.alterPartitionRetryMs = 100
            config.fetchMaxBytes = 4_096
            config.fetchResponseMaxBytes = 16_384
            return config
        }()
        var segmentBytes: Int32 = 16_384
        var tickMillis: Int64 = 50
        var heartbeatMillis: Int64 = 200
        var sessionTimeoutMillis: Int64 = 1_200
        var checkpointMillis: Int64 = 500
        var produceTimeoutMillis: Int64 = 1_500
        var idempotentProducers = 2
        var acksOneProducers = 1
        var minLatency: Int64 = 1
        var maxLatency: Int64 = 20
        var lossRate = 0.0
        var traceCapacity = 500
    }

    enum Node: Hashable {
        case controller
        case broker(Int32)
        case client
    }

    enum Event {
        case brokerTick(Int32, incarnation: Int)
        case controllerTick
        case clientTick(Int)
        case deliver(from: Node, to: Node, SimMessage)
        case fetchTimeout(Int32, incarnation: Int, source: Int32, id: UInt64)
        case parkedFetchDue(Int32, incarnation: Int, park: UInt64)
        case alterTimeout(Int32, incarnation: Int, id: UInt64)
    }

    let seed: UInt64
    let options: Options
    let root: String
    var now: Int64 = 1_000_000_000
    var rng: ReplRandom
    var queue = ReplEventQueue<Event>()
    var brokers: [Int32: SimBroker] = [:]
    var controller = TestController()
    var clients: [SimProducer] = []
    let topics: [TopicPartition]
    var checker = ReplicationChecker()
    var trace: ReplTrace
    var stats = ReplicationSimStats()
    var lossRate: Double
    var maxLatency: Int64
    /// Extra latency of every message to or from these brokers (slow followers).
    var slowBrokers: [Int32: Int64] = [:]
    /// Nodes in the same group reach each other (clients reach everyone); empty: no partition.
    private var groups: [Node: Int] = [:]
    /// FIFO delivery per link (TCP does not reorder).
    private var lastDelivery: [LinkKey: Int64] = [:]
    /// Producers send only while this is set (convergence checks need a quiet cluster).
    var producing = true
    /// The leader epoch and ISR last published per partition (for the counters).
    var publishedLeaders: [TopicPartition: Int32] = [:]
    var publishedIsr: [TopicPartition: [Int32]] = [:]
    /// The incarnation of each broker the controller registered last.
    var registeredIncarnation: [Int32: Int] = [:]
    var nextRequestId: UInt64 = 1

    struct LinkKey: Hashable {
        var from: Node
        var to: Node
    }

    init(seed: UInt64, options: Options = Options()) throws {
        self.seed = seed
        self.options = options
        self.rng = ReplRandom(seed: seed ^ 0x5EED_5EED)
        self.trace = ReplTrace(capacity: options.traceCapacity)
        self.lossRate = options.lossRate
        self.maxLatency = options.maxLatency
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        root = "\(base)/sluice-repl-sim-\(getpid())-\(seed)-\(UInt32.random(in: 0...UInt32.max))"
        var logConfig = LogConfig()
        logConfig.segmentBytes = options.segmentBytes
        logConfig.segmentIndexBytes = 65_536
        logConfig.minInsyncReplicas = options.minInsyncReplicas
        topics = (0..<options.partitions).map { TopicPartition("t", Int32($0)) }
        for id in options.brokers {
            brokers[id] = SimBroker(id: id, directory: "\(root)/broker-\(id)", logConfig: logConfig,
                                    replication: options.replication)
        }
        for id in options.brokers { _ = controller.register(id) }
        for (index, tp) in topics.enumerated() {
            let count = options.brokers.count
            let replicas = (0..<min(options.replicationFactor, count)).map { options.brokers[(index + $0) % count] }
            _ = controller.createPartition(tp, replicas: replicas)
        }
        for id in options.brokers { try start(id) }
        var producerId: Int64 = 1000
        for i in 0..<(options.idempotentProducers + options.acksOneProducers) {
            let idempotent = i < options.idempotentProducers
            clients.append(SimProducer(index: i, idempotent: idempotent, producerId: idempotent ? producerId : -1,
                                       topicPartition: topics[i % topics.count]))
            producerId += 1
            queue.schedule(at: now + Int64(rng.below(100)), .clientTick(i))
        }
        queue.schedule(at: now + 100, .controllerTick)
    }

    deinit {
        for broker in brokers.values { broker.shutdownForCleanup() }
        try? FileManager.default.removeItem(atPath: root)
    }

    // MARK: Scenario language

    struct BrokerHandle {
        let sim: ReplicationSim
        let id: Int32
        var isUp: Bool { sim.brokers[id]!.isUp }
        func crash() { sim.crash(id) }
        func restart() throws { try sim.start(id) }
        func partitionStatus(_ tp: TopicPartition) -> ReplicaStatus? {
            sim.brokers[id]!.engine?.partition(tp)?.status
        }
    }

    func broker(_ id: Int32) -> BrokerHandle { BrokerHandle(sim: self, id: id) }

    /// Splits the network into groups (the controller is node 0); nodes not listed form one more
    /// group together. Clients reach everyone.
    func partition(_ parts: [Int32]...) { partition(parts) }

    func partition(_ parts: [[Int32]]) {
        groups = [:]
        for (index, part) in parts.enumerated() {
            for id in part { groups[id == 0 ? .controller : .broker(id)] = index }
        }
        for id in options.brokers where groups[.broker(id)] == nil { groups[.broker(id)] = parts.count }
        if groups[.controller] == nil { groups[.controller] = parts.count }
        trace.record(now, "partition \(parts)")
        stats.partitions += 1
    }

    func heal() {
        groups = [:]
        trace.record(now, "heal")
    }

    func canReach(_ a: Node, _ b: Node) -> Bool {
        if a == .client || b == .client || groups.isEmpty { return true }
        return groups[a] == groups[b]
    }

    func run(for millis: Int64) throws {
        let end = now + millis
        while let next = queue.nextTime, next <= end { try step() }
        now = end
    }

    func runUntil(timeout: Int64 = 30_000, _ what: String, _ condition: (ReplicationSim) -> Bool) throws {
        let end = now + timeout
        while !condition(self) {
            guard let next = queue.nextTime, next <= end else {
                throw failure("\(what) not reached within \(timeout)ms\n\(describe())")
            }
            try step()
        }
    }

    /// The controller's and every broker's view of each partition (for failure reports).
    func describe() -> String {
        var lines: [String] = []
        for tp in topics {
            lines.append("controller: \(controller.state(tp).map { "\($0)" } ?? "none")")
            for id in options.brokers {
                let broker = brokers[id]!
                guard broker.isUp else { lines.append("  broker \(id): down"); continue }
                let status = broker.engine?.partition(tp)?.status
                lines.append("  broker \(id) (epoch \(broker.brokerEpoch)): \(status.map { "\($0)" } ?? "no partition"), fetch sessions \(broker.engine?.fetchSessionsDescription ?? ""), sim in flight \(broker.fetchesInFlight)")
            }
        }
        return lines.joined(separator: "\n")
    }

    func failure(_ message: String) -> ReplicationSimulationFailure {
        ReplicationSimulationFailure(seed: seed, time: now, message: message, trace: trace.ordered)
    }

    // MARK: Machinery

    func start(_ id: Int32) throws {
        let broker = brokers[id]!
        guard !broker.isUp else { return }
        do { try broker.start(now: now) } catch { throw failure("broker \(id) cannot start: \(error)") }
        checker.brokerStarted(id, incarnation: broker.incarnation)
        trace.record(now, "broker \(id) started (incarnation \(broker.incarnation))")
        send(.broker(id), .controller, .register(broker: id, incarnation: broker.incarnation))
        queue.schedule(at: now + options.tickMillis, .brokerTick(id, incarnation: broker.incarnation))
    }

    func crash(_ id: Int32) {
        let broker = brokers[id]!
        guard broker.isUp else { return }
        broker.crash()
        stats.crashes += 1
        trace.record(now, "broker \(id) crashed")
    }

    /// Sends over the simulated network: dropped when partitioned or lost, else delivered in
    /// order per link after a random latency.
    func send(_ from: Node, _ to: Node, _ message: SimMessage) {
        guard canReach(from, to) else {
            trace.record(now, "drop (partitioned) \(message)")
            return
        }
        stats.messages += 1
        if lossRate > 0 && from != .client && to != .client && rng.chance(lossRate) {
            trace.record(now, "drop (lost) \(message)")
            return
        }
        var latency = options.minLatency + Int64(rng.below(Int(max(0, maxLatency - options.minLatency)) + 1))
        for node in [from, to] { if case let .broker(id) = node { latency += slowBrokers[id] ?? 0 } }
        let key = LinkKey(from: from, to: to)
        let at = max(now + latency, lastDelivery[key] ?? 0)
        lastDelivery[key] = at
        queue.schedule(at: at, .deliver(from: from, to: to, message))
    }

    func step() throws {
        guard let (time, event) = queue.pop() else { return }
        now = max(now, time)
        switch event {
        case let .brokerTick(id, incarnation):
            guard let broker = brokers[id], broker.incarnation == incarnation, broker.isUp else { return }
            try brokerTick(broker)
            queue.schedule(at: now + options.tickMillis, .brokerTick(id, incarnation: incarnation))
        case .controllerTick:
            controllerTick()
            queue.schedule(at: now + 100, .controllerTick)
        case let .clientTick(index):
            try clientTick(index)
        case let .deliver(from, to, message):
            guard canReach(from, to) else {
                trace.record(now, "drop (partitioned) \(message)")
                return
            }
            try deliver(message, from: from, to: to)
        case let .fetchTimeout(id, incarnation, source, fetchId):
            guard let broker = brokers[id], broker.incarnation == incarnation, let engine = broker.engine,
                  broker.fetchesInFlight[source] == fetchId else { return }
            broker.fetchesInFlight[source] = nil
            engine.fetchFailed(fetchId, from: source, now: now)
            trace.record(now, "broker \(id): fetch \(fetchId) to \(source) timed out")
        case let .parkedFetchDue(id, incarnation, park):
            guard let broker = brokers[id], broker.incarnation == incarnation, broker.isUp else { return }
            try reserveParkedFetch(broker, park, force: true)
        case let .alterTimeout(id, incarnation, alterId):
            guard let broker = brokers[id], broker.incarnation == incarnation, let engine = broker.engine,
                  broker.alterInFlight == alterId else { return }
            broker.alterInFlight = nil
            engine.alterPartitionFailed(alterId, now: now)
        }
        try checker.check(self)
    }

    private func deliver(_ message: SimMessage, from: Node, to: Node) throws {
        switch to {
        case .controller:
            try controllerReceive(message)
        case let .broker(id):
            guard let broker = brokers[id], broker.isUp else {
                trace.record(now, "drop (down) \(message)")
                return
            }
            try brokerReceive(broker, message, from: from)
        case .client:
            try clientReceive(message)
        }
    }
}

/// What travels between simulated nodes. Kafka requests travel encoded (see ``SimWire``).
enum SimMessage: CustomStringConvertible {
    case fetch(follower: Int32, incarnation: Int, id: UInt64, bytes: ByteBuffer)
    case fetchResponse(incarnation: Int, id: UInt64, bytes: ByteBuffer)
    case alterPartition(broker: Int32, incarnation: Int, id: UInt64, bytes: ByteBuffer)
    case alterPartitionResponse(incarnation: Int, id: UInt64, bytes: ByteBuffer)
    case heartbeat(broker: Int32, incarnation: Int)
    case register(broker: Int32, incarnation: Int)
    case registered(incarnation: Int, brokerEpoch: Int64)
    case partitionState(PartitionState)
    case produce(SimProduceRequest)
    case produceResponse(client: Int, requestId: UInt64, error: ErrorCode, baseOffset: Int64)

    var description: String {
        switch self {
        case let .fetch(f, _, id, _): return "fetch \(id) from \(f)"
        case let .fetchResponse(_, id, _): return "fetch response \(id)"
        case let .alterPartition(b, _, id, _): return "AlterPartition \(id) from \(b)"
        case let .alterPartitionResponse(_, id, _): return "AlterPartition response \(id)"
        case let .heartbeat(b, _): return "heartbeat \(b)"
        case let .register(b, i): return "register \(b) (incarnation \(i))"
        case let .registered(i, e): return "registered (incarnation \(i)) epoch \(e)"
        case let .partitionState(s): return "state \(s)"
        case let .produce(r): return "produce \(r.requestId) acks \(r.acks) to \(r.topicPartition) \(r.values.first ?? "")"
        case let .produceResponse(c, id, e, o): return "produce response \(id) to client \(c): \(e) at \(o)"
        }
    }
}

/// Counters of what a run exercised.
struct ReplicationSimStats {
    var messages = 0
    var crashes = 0
    var partitions = 0
    var leaderChanges = 0
    var isrShrinks = 0
    var isrExpansions = 0
    var truncations = 0
    var acked = 0
    var ackedRecords = 0
    var timeouts = 0
    var notEnoughReplicas = 0

    mutating func add(_ other: ReplicationSimStats) {
        messages += other.messages
        crashes += other.crashes
        partitions += other.partitions
        leaderChanges += other.leaderChanges
        isrShrinks += other.isrShrinks
        isrExpansions += other.isrExpansions
        truncations += other.truncations
        acked += other.acked
        ackedRecords += other.ackedRecords
        timeouts += other.timeouts
        notEnoughReplicas += other.notEnoughReplicas
    }
}
