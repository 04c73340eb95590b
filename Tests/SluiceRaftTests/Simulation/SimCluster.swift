import SluiceRaft

/// A deterministic cluster of Raft nodes on a simulated network and clock, with a small
/// scenario language for tests:
///
/// ```swift
/// let cluster = try SimCluster(seed: 7, voters: [1, 2, 3])
/// try cluster.runUntil { $0.leader != nil }
/// cluster.partition([1], [2, 3])
/// cluster.node(2).crash()
/// try cluster.run(for: 5_000)
/// ```
///
/// Every step is checked by an `InvariantChecker`; a violation throws `SimulationFailure`.
final class SimCluster {
    struct Options {
        var voters: [Int32] = [1, 2, 3]
        var observers: [Int32] = []
        /// The nominal tick length in simulated milliseconds.
        var tickMillis: Int64 = 100
        /// Each node's clock runs up to this fraction fast or slow.
        var maxClockSkew = 0.0
        var network = SimNetworkSettings()
        var electionTimeoutTicks = 10
        var electionBackoffMaxTicks = 10
        var fetchTimeoutTicks = 20
        var fetchMaxWaitTicks = 5
        var requestTimeoutTicks = 5
        var maxFetchBytes = 1 << 20
        var snapshotChunkBytes = 1 << 20
        /// The application snapshots when this many applied entries are not yet in a snapshot.
        var snapshotEvery: Int64? = nil
        var snapshotPadding = 40
        /// The chance that a node crashes in the middle of persisting a Ready.
        var crashDuringPersistRate = 0.0
        var traceCapacity = 400
    }

    let seed: UInt64
    let options: Options
    private(set) var now: Int64 = 0
    var rng: SplitMix64
    var network: SimNetworkSettings
    private(set) var nodes: [SimNode] = []
    private var indexByID: [Int32: Int] = [:]
    private var queue = EventQueue<Event>()
    /// Nodes in the same group reach each other; no groups means no partition.
    private var partitionGroup: [Int32: Int] = [:]
    var checker: InvariantChecker
    var trace: TraceRing
    var crashDuringPersistRate: Double
    /// What the run exercised, so tests can check the faults actually happened.
    var stats = SimStats()

    private enum Event {
        case tick(node: Int32, incarnation: Int)
        case deliver(RaftEnvelope)
    }

    init(seed: UInt64, options: Options = Options()) throws {
        self.seed = seed
        self.options = options
        self.rng = SplitMix64(seed: seed)
        self.network = options.network
        self.crashDuringPersistRate = options.crashDuringPersistRate
        self.trace = TraceRing(capacity: options.traceCapacity)
        let voterSet = try VoterSet(options.voters)
        self.checker = InvariantChecker(voters: voterSet)
        for id in options.voters + options.observers {
            let skew = options.maxClockSkew > 0 ? (Double(rng.below(2001)) / 1000.0 - 1.0) * options.maxClockSkew : 0
            let millis = max(1, Int64((Double(options.tickMillis) * (1.0 + skew)).rounded()))
            indexByID[id] = nodes.count
            nodes.append(SimNode(id: id, tickMillis: millis))
        }
        for node in nodes {
            try start(node)
        }
    }

    convenience init(seed: UInt64, voters: [Int32], observers: [Int32] = []) throws {
        var options = Options()
        options.voters = voters
        options.observers = observers
        try self.init(seed: seed, options: options)
    }

    // MARK: Scenario language

    /// A handle on one node for scenarios: `cluster.node(2).crash()`.
    struct NodeHandle {
        let cluster: SimCluster
        let id: Int32

        var status: RaftStatus? { cluster.simNode(id).status }
        var raft: RaftNode? { cluster.simNode(id).raft }
        var isUp: Bool { cluster.simNode(id).isUp }

        /// Kills the node: volatile state is lost, the store keeps what was persisted.
        func crash() { cluster.crash(cluster.simNode(id)) }

        /// Starts the node again from its store.
        func restart() throws { try cluster.start(cluster.simNode(id)) }

        /// Asks the node (if it leads) to append `payload`.
        @discardableResult
        func propose(_ payload: [UInt8]) throws -> OffsetAndEpoch {
            let node = cluster.simNode(id)
            guard var raft = node.raft else { throw RaftError(.notLeader(LeaderAndEpoch(leaderID: nil, epoch: 0)), "node \(id) is down") }
            let result = try raft.propose(payload)
            node.raft = raft
            try cluster.process(node)
            return result
        }

        /// Graceful resignation.
        func resign() throws {
            let node = cluster.simNode(id)
            node.raft?.resign()
            try cluster.process(node)
        }
    }

    func node(_ id: Int32) -> NodeHandle { NodeHandle(cluster: self, id: id) }

    func simNode(_ id: Int32) -> SimNode {
        guard let index = indexByID[id] else { fatalError("no node \(id) in this cluster") }
        return nodes[index]
    }

    /// The leader of the highest epoch among running nodes, if any node leads.
    var leader: Int32? { leaderStatus?.nodeID }

    var leaderStatus: RaftStatus? {
        nodes.compactMap(\.status).filter { $0.role == .leader }.max { $0.epoch < $1.epoch }
    }

    /// Whether every running voter agrees on one leader and epoch, and that leader runs.
    var hasStableLeader: Bool {
        guard let leader = leaderStatus else { return false }
        return nodes.allSatisfy { node in
            guard let status = node.status else { return true }
            return status.epoch == leader.epoch && status.leaderID == leader.nodeID
        }
    }

    /// Splits the network: nodes talk only within their group. Nodes not listed form one more
    /// group together, so `partition([3])` cuts node 3 off from the rest.
    func partition(_ groups: [Int32]...) {
        partition(groups)
    }

    func partition(_ groups: [[Int32]]) {
        partitionGroup = [:]
        for (index, group) in groups.enumerated() {
            for id in group { partitionGroup[id] = index }
        }
        for node in nodes where partitionGroup[node.id] == nil {
            partitionGroup[node.id] = groups.count
        }
        trace.record(.note(time: now, "partition \(groups)"))
    }

    /// Reconnects everything.
    func heal() {
        partitionGroup = [:]
        trace.record(.note(time: now, "heal"))
    }

    func canReach(_ a: Int32, _ b: Int32) -> Bool {
        partitionGroup.isEmpty || partitionGroup[a] == partitionGroup[b]
    }

    /// Runs the simulation for `millis` simulated milliseconds.
    func run(for millis: Int64) throws {
        let end = now + millis
        while let next = queue.nextTime, next <= end {
            try runNextEvent()
        }
        now = end
    }

    /// Runs until `condition` holds, failing after `timeout` simulated milliseconds.
    func runUntil(timeout: Int64 = 30_000, _ what: String = "condition", _ condition: (SimCluster) -> Bool) throws {
        let end = now + timeout
        while !condition(self) {
            guard let next = queue.nextTime, next <= end else {
                throw failure("\(what) not reached within \(timeout)ms; nodes: \(nodes.map { $0.status?.description ?? "node \($0.id) down" })")
            }
            try runNextEvent()
        }
    }

    /// Proposes `payload` to the current leader and runs until every running node applied it.
    /// Re-proposes if a leader change loses it.
    @discardableResult
    func commit(_ payload: [UInt8], timeout: Int64 = 30_000) throws -> Int64 {
        let end = now + timeout
        while true {
            try runUntil(timeout: max(1, end - now), "a leader") { $0.leader != nil }
            guard let leaderID = leader else { continue }
            let position = try node(leaderID).propose(payload)
            var lost = false
            try runUntil(timeout: max(1, end - now), "commit of \(position)") { cluster in
                // Lost with the leadership: the current leader does not hold it (and, by leader
                // completeness, never will commit it).
                if let leader = cluster.leaderStatus, let raft = cluster.node(leader.nodeID).raft,
                    position.offset >= raft.log.startOffset, raft.log.entry(at: position.offset)?.epoch != position.epoch
                {
                    lost = true
                    return true
                }
                return cluster.nodes.allSatisfy { node in
                    guard let raft = node.raft else { return true }
                    return raft.appliedOffset > position.offset
                }
            }
            if !lost { return position.offset }
        }
    }

    func failure(_ message: String) -> SimulationFailure {
        SimulationFailure(seed: seed, time: now, message: message, trace: trace.ordered.map(\.description))
    }

    // MARK: Machinery

    func config(for node: SimNode) throws -> RaftConfig {
        RaftConfig(
            nodeID: node.id, voters: checker.voters,
            electionTimeoutTicks: options.electionTimeoutTicks, electionBackoffMaxTicks: options.electionBackoffMaxTicks,
            fetchTimeoutTicks: options.fetchTimeoutTicks, fetchMaxWaitTicks: options.fetchMaxWaitTicks,
            requestTimeoutTicks: options.requestTimeoutTicks, retryBackoffTicks: 1,
            maxFetchBytes: options.maxFetchBytes, snapshotChunkBytes: options.snapshotChunkBytes,
            randomSeed: rng.next()
        )
    }

    /// Boots a node from its store (first start or restart).
    func start(_ node: SimNode) throws {
        guard !node.isUp else { return }
        let persisted = node.store.load()
        do {
            node.raft = try RaftNode(config: config(for: node), persisted: persisted)
        } catch {
            throw failure("node \(node.id) cannot restart from its store: \(error)")
        }
        node.app = SimStateMachine()
        node.lastHighWatermark = node.raft!.highWatermark
        checker.nodeStarted(node)
        trace.record(.note(time: now, "node \(node.id) started (incarnation \(node.incarnation))"))
        scheduleTick(node)
        try process(node)
    }

    func crash(_ node: SimNode) {
        guard node.isUp else { return }
        node.raft = nil
        node.incarnation += 1
        stats.crashes += 1
        trace.record(.note(time: now, "node \(node.id) crashed"))
        // A crashed process's connections reset: the others' transports tell their cores (as the
        // broker's RaftTransport does), so followers of a crashed leader elect sooner.
        for other in nodes where other.id != node.id && other.isUp {
            other.raft?.peerUnreachable(node.id)
        }
    }

    private func scheduleTick(_ node: SimNode) {
        queue.schedule(at: now + node.tickMillis, .tick(node: node.id, incarnation: node.incarnation))
    }

    private func runNextEvent() throws {
        guard let (time, event) = queue.pop() else { return }
        now = max(now, time)
        switch event {
        case .tick(let id, let incarnation):
            let node = simNode(id)
            guard node.incarnation == incarnation, var raft = node.raft else { return }
            raft.tick()
            node.raft = raft
            scheduleTick(node)
            try process(node)
        case .deliver(let envelope):
            let node = simNode(envelope.destination)
            guard var raft = node.raft else {
                trace.record(.drop(time: now, envelope, reason: "destination down"))
                return
            }
            guard canReach(envelope.source, envelope.destination) else {
                trace.record(.drop(time: now, envelope, reason: "partitioned"))
                return
            }
            trace.record(.deliver(time: now, envelope))
            raft.step(envelope)
            node.raft = raft
            try process(node)
        }
    }

    /// The driver loop: persist each Ready (maybe crashing half-way), then send, apply, advance,
    /// and check the invariants.
    func process(_ node: SimNode) throws {
        while let raft = node.raft, raft.hasReady {
            var current = raft
            let ready = current.ready()
            node.raft = current
            try checker.readyProduced(node, ready, cluster: self)

            if !ready.persistence.isEmpty {
                if crashDuringPersistRate > 0 && rng.chance(crashDuringPersistRate) {
                    try persistPrefixAndCrash(node, ready.persistence)
                    return
                }
                do {
                    try node.store.persist(ready.persistence)
                } catch {
                    throw failure("node \(node.id): store rejected \(ready.persistence): \(error)")
                }
                trace.record(.persisted(time: now, node: node.id, ready.persistence))
                if ready.persistence.truncateFrom != nil { stats.truncations += 1 }
                if ready.persistence.snapshot != nil { stats.snapshotsStored += 1 }
                try checker.persisted(node, cluster: self)
            }
            for envelope in ready.messages {
                send(envelope)
            }
            if let snapshot = ready.restoreSnapshot {
                guard let restored = SimStateMachine.restore(from: snapshot.data) else {
                    throw failure("node \(node.id): snapshot \(snapshot.id) does not decode")
                }
                node.app = restored
                if ready.persistence.snapshot?.id == snapshot.id { stats.snapshotInstalls += 1 }
                try checker.restored(node, snapshot, cluster: self)
            }
            if let change = ready.leaderChange, change.leaderID == node.id { stats.elections += 1 }
            stats.applied += ready.committedEntries.count
            for entry in ready.committedEntries {
                guard entry.offset == node.app.appliedEnd else {
                    throw failure("node \(node.id): applying \(entry) after \(node.app.appliedEnd)")
                }
                node.app.apply(entry)
                try checker.applied(node, entry, cluster: self)
            }
            current = node.raft!
            current.advance(ready)
            node.raft = current
            try checker.stepped(node, cluster: self)
            maybeSnapshot(node)
        }
    }

    /// A crash in the middle of a Ready's persistence: a random prefix of its operations (the
    /// last possibly a torn, partial append) reaches the store, nothing is sent.
    private func persistPrefixAndCrash(_ node: SimNode, _ persistence: RaftPersistence) throws {
        var operations: [RaftPersistOperation] = []
        for operation in persistence.operations {
            if case .append(let entries) = operation {
                operations.append(contentsOf: entries.map { .append([$0]) })
            } else {
                operations.append(operation)
            }
        }
        let keep = rng.below(operations.count + 1)
        for operation in operations.prefix(keep) {
            do {
                try node.store.apply(operation)
            } catch {
                throw failure("node \(node.id): store rejected \(operation): \(error)")
            }
        }
        trace.record(.note(time: now, "node \(node.id) crashed after \(keep) of \(operations.count) persist steps"))
        stats.crashesWhilePersisting += 1
        try checker.persisted(node, cluster: self)
        crash(node)
    }

    private func maybeSnapshot(_ node: SimNode) {
        guard let every = options.snapshotEvery, var raft = node.raft else { return }
        let end = node.app.appliedEnd
        guard end - raft.log.startOffset >= every, rng.chance(0.5) else { return }
        do {
            try raft.takeSnapshot(endOffset: end, data: node.app.snapshotData(padding: options.snapshotPadding))
            node.raft = raft
            trace.record(.note(time: now, "node \(node.id) snapshot at \(end)"))
        } catch {
            // Not applied far enough or nothing new: fine, try later.
        }
    }

    func send(_ envelope: RaftEnvelope) {
        guard canReach(envelope.source, envelope.destination) else {
            trace.record(.drop(time: now, envelope, reason: "partitioned"))
            return
        }
        stats.messages += 1
        if network.lossRate > 0 && rng.chance(network.lossRate) {
            trace.record(.drop(time: now, envelope, reason: "lost"))
            return
        }
        let copies = network.duplicateRate > 0 && rng.chance(network.duplicateRate) ? 2 : 1
        for _ in 0..<copies {
            let spread = Int(max(0, network.maxLatency - network.minLatency))
            let latency = network.minLatency + Int64(rng.below(spread + 1))
            queue.schedule(at: now + latency, .deliver(envelope))
        }
    }
}

/// Counters of what a run did.
struct SimStats {
    var messages = 0
    var elections = 0
    var applied = 0
    var crashes = 0
    var crashesWhilePersisting = 0
    var truncations = 0
    var snapshotsStored = 0
    var snapshotInstalls = 0
    /// The longest time, after the faults stopped, to a leader every node follows...
    var maxElectionMillis: Int64 = 0
    /// ...and from there until a new proposal was applied everywhere.
    var maxCommitMillis: Int64 = 0

    mutating func add(_ other: SimStats) {
        maxElectionMillis = max(maxElectionMillis, other.maxElectionMillis)
        maxCommitMillis = max(maxCommitMillis, other.maxCommitMillis)
        messages += other.messages
        elections += other.elections
        applied += other.applied
        crashes += other.crashes
        crashesWhilePersisting += other.crashesWhilePersisting
        truncations += other.truncations
        snapshotsStored += other.snapshotsStored
        snapshotInstalls += other.snapshotInstalls
    }
}
