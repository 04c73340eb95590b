import KafkaProtocol
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// One seeded simulation: a random cluster shape and settings, some simulated seconds of random
/// faults (broker crashes and restarts, network partitions including the controller, isolated
/// leaders, message loss, slow brokers, controlled leader moves) while producers write, then the
/// faults stop and the cluster must converge: a leader everywhere, every replica back in the ISR
/// with the same log, every acknowledged record readable exactly once at its offset, and a new
/// `acks=all` write acknowledged.
struct RandomReplicationRun {
    let seed: UInt64
    var faultMillis: Int64 = 15_000
    var convergeMillis: Int64 = 30_000

    func run() throws -> ReplicationSimStats {
        var rng = ReplRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0xFA17)
        var options = ReplicationSim.Options()
        let size = [3, 3, 3, 3, 4, 5, 2][rng.below(7)]
        options.brokers = (1...size).map { Int32($0) }
        options.partitions = 1 + rng.below(3)
        options.replicationFactor = min(size, 3)
        options.minInsyncReplicas = Int32(1 + rng.below(min(options.replicationFactor, 2)))
        options.replication.replicaLagTimeMaxMs = Int64(600 + rng.below(2_000))
        options.replication.fetchMaxBytes = Int32(200 + rng.below(4_000))
        options.segmentBytes = Int32(1_024 + rng.below(16_384))
        options.maxLatency = Int64(2 + rng.below(60))
        options.idempotentProducers = 1 + rng.below(3)
        options.acksOneProducers = rng.below(3)
        options.traceCapacity = 4000
        let sim = try ReplicationSim(seed: seed, options: options)
        let ids = options.brokers

        let faultEnd = sim.now + faultMillis
        var nextFault = sim.now + Int64(300 + rng.below(1_500))
        while sim.now < faultEnd {
            try sim.run(for: max(0, min(nextFault, faultEnd) - sim.now))
            if sim.now >= nextFault {
                try inject(sim, ids: ids, rng: &rng)
                nextFault = sim.now + Int64(100 + rng.below(1_500))
            }
        }

        sim.trace.record(sim.now, "faults stop")
        sim.heal()
        sim.lossRate = 0
        sim.slowBrokers = [:]
        sim.maxLatency = options.maxLatency
        for id in ids where !sim.broker(id).isUp { try sim.broker(id).restart() }
        sim.producing = false
        try sim.runUntil(timeout: convergeMillis, "convergence after the faults stopped") { $0.isConverged }
        try sim.verifyConverged()
        try sim.commitOneMore(timeout: convergeMillis)
        return sim.stats
    }

    private func inject(_ sim: ReplicationSim, ids: [Int32], rng: inout ReplRandom) throws {
        let up = ids.filter { sim.broker($0).isUp }
        let down = ids.filter { !sim.broker($0).isUp }
        switch rng.below(100) {
        case 0..<20:
            if let victim = rng.pick(up) { sim.broker(victim).crash() }
        case 20..<40:
            if let revived = rng.pick(down) { try sim.broker(revived).restart() }
        case 40..<52:
            var groups: [[Int32]] = [[], []]
            for id in [0] + ids { groups[rng.below(2)].append(id) }
            sim.partition(groups)
        case 52..<60:
            // Cut the leader of a partition off from everyone (a zombie leader, still reachable
            // by producers).
            if let tp = rng.pick(sim.topics), let leader = sim.controller.state(tp)?.leader, leader >= 0 {
                sim.partition([leader], [0] + ids.filter { $0 != leader })
            }
        case 60..<66:
            // Cut the controller off from one broker only.
            if let id = rng.pick(ids) { sim.partition([id], [0] + ids.filter { $0 != id }) }
        case 66..<76:
            sim.heal()
        case 76..<82:
            sim.lossRate = Double(rng.below(20)) / 100
            sim.maxLatency = Int64(2 + rng.below(150))
        case 82..<88:
            if let id = rng.pick(ids) { sim.slowBrokers[id] = Int64(200 + rng.below(2_500)) }
        case 88..<94:
            if let tp = rng.pick(sim.topics) { sim.moveLeader(tp) }
        default:
            sim.lossRate = 0
            sim.slowBrokers = [:]
        }
    }
}

extension ReplicationSim {
    /// Every partition has a leader whose ISR holds every replica, and every replica's log ends
    /// where the leader's does, with the high watermark there.
    var isConverged: Bool {
        topics.allSatisfy { tp in
            guard let state = controller.state(tp), state.leader >= 0, Set(state.isr) == Set(state.replicas) else { return false }
            guard let leader = brokers[state.leader]?.engine?.partition(tp)?.status, leader.isLeader,
                  leader.leaderEpoch == state.leaderEpoch, leader.highWatermark == leader.logEndOffset else { return false }
            return state.replicas.allSatisfy { id in
                guard let status = brokers[id]?.engine?.partition(tp)?.status else { return false }
                return status.logEndOffset == leader.logEndOffset && status.highWatermark == leader.highWatermark
            }
        }
    }

    /// After convergence: replicas hold identical records, every acknowledged record is there
    /// exactly once, at the offset it was acknowledged with.
    func verifyConverged() throws {
        var offsets: [String: Int64] = [:]
        for tp in topics {
            let state = controller.state(tp)!
            let leaderRecords = try records(of: state.leader, tp)
            for id in state.replicas where id != state.leader {
                let other = try records(of: id, tp)
                if other.count != leaderRecords.count || zip(other, leaderRecords).contains(where: { $0 != $1 }) {
                    throw failure("replica \(id) of \(tp) differs from leader \(state.leader) after convergence")
                }
            }
            for (offset, value) in leaderRecords {
                if let earlier = offsets[value] {
                    throw failure("\(value) is in \(tp) twice, at \(earlier) and \(offset)")
                }
                offsets[value] = offset
            }
        }
        for (value, offset) in checker.acknowledged where offsets[value] != offset {
            throw failure("acknowledged \(value) at \(offset) is \(offsets[value].map { "at \($0)" } ?? "missing") after convergence")
        }
    }

    func records(of id: Int32, _ tp: TopicPartition) throws -> [(Int64, String)] {
        guard let log = brokers[id]?.logs[tp] else { throw failure("broker \(id) has no log for \(tp)") }
        var out: [(Int64, String)] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let read = try log.read(from: offset, maxBytes: 1 << 20, maxOffset: log.logEndOffset, minOneBatch: true)
            let bytes = try read.records.loadBytes()
            read.release()
            var advanced = false
            for batch in RecordBatchSequence(bytes) {
                for record in try batch.records() where record.offset >= offset {
                    out.append((record.offset, record.value.map { String(buffer: $0) } ?? ""))
                    offset = record.offset + 1
                    advanced = true
                }
            }
            if !advanced { break }
        }
        return out
    }

    /// A new `acks=all` write is acknowledged within `timeout` (liveness after the faults).
    func commitOneMore(timeout: Int64) throws {
        guard let index = clients.firstIndex(where: \.idempotent) else { return }
        producing = true
        let before = stats.acked
        try runUntil(timeout: timeout, "an acknowledged write after convergence") { sim in
            sim.stats.acked > before && sim.clients[index].pending == nil
        }
    }
}
