import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Seeded random runs of consumers that join, sync, heartbeat, commit, leave, crash and restart,
/// against the state machine with simulated time (and, at random, the coordinator moving away
/// and reloading from its log). After the chaos, the surviving consumers must converge: one
/// stable generation made of exactly them, each holding the assignment the leader gave it.
/// Every request is answered exactly once throughout (checked by the harness).
///
/// `SIM_SEED` runs one seed; `SIM_RUNS` sets how many seeds run (default 25).
@Suite struct GroupSimulationTests {
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let seed = env["SIM_SEED"].flatMap(UInt64.init) { return [seed] }
        let runs = env["SIM_RUNS"].flatMap(Int.init) ?? 25
        return (1...UInt64(max(runs, 1))).map { $0 }
    }

    @Test(arguments: seeds)
    func consumersConvergeAfterChaos(seed: UInt64) throws {
        var sim = Simulation(seed: seed)
        sim.run(chaosSteps: 400)
        sim.calm()
        sim.run(chaosSteps: 0, calmMs: 90_000)
        try sim.checkConverged()
        #expect(sim.h.unanswered.subtracting(sim.abandoned).isEmpty, "seed \(seed): requests left unanswered")
    }
}

/// SplitMix64: small, seeded, reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct SimConsumer {
    enum Phase: Equatable {
        case idle
        case joining(RequestID)
        case syncing(RequestID)
        case stable
        case crashed
    }

    var name: String
    var memberId = ""
    var generation: Int32 = -1
    var phase = Phase.idle
    var nextHeartbeat: Int64 = 0
    var assignment = ByteBuffer()
}

struct Simulation {
    let seed: UInt64
    var rng: SeededRandom
    var h: GroupHarness
    var consumers: [SimConsumer] = []
    /// Requests of crashed consumers: nobody waits for them, but they must still be answered.
    var abandoned: Set<RequestID> = []
    let group = "sim"
    var started = 0

    init(seed: UInt64) {
        self.seed = seed
        rng = SeededRandom(seed: seed)
        var config = GroupCoordinatorConfig.testing
        config.initialRebalanceDelayMs = 500
        h = GroupHarness(config: config)
        for _ in 0..<3 { addConsumer() }
    }

    mutating func addConsumer() {
        started += 1
        consumers.append(SimConsumer(name: "c\(started)"))
    }

    mutating func run(chaosSteps: Int, calmMs: Int64 = 0) {
        let end = h.now + calmMs
        var step = 0
        while step < chaosSteps || (chaosSteps == 0 && h.now < end) {
            step += 1
            h.advance(by: Int64.random(in: 0...400, using: &rng))
            if chaosSteps > 0 { chaos() }
            for i in consumers.indices { act(i) }
        }
    }

    /// Ends the chaos: the log accepts writes again.
    mutating func calm() {
        h.completeAppends = true
        h.completeHeldAppends()
    }

    /// One random disturbance, now and then.
    mutating func chaos() {
        let roll = Int.random(in: 0..<100, using: &rng)
        let live = consumers.indices.filter { consumers[$0].phase != .crashed }
        switch roll {
        case 0..<3 where live.count > 2:
            // Crash: the process stops; its waiting requests are abandoned.
            let i = live.randomElement(using: &rng)!
            if case let .joining(id) = consumers[i].phase { abandoned.insert(id) }
            if case let .syncing(id) = consumers[i].phase { abandoned.insert(id) }
            consumers[i].phase = .crashed
        case 3..<6 where live.count < 5 && started < 30:
            addConsumer()
        case 6..<8 where !live.isEmpty:
            // Clean leave, then it comes back later as a fresh member.
            let i = live.randomElement(using: &rng)!
            if !consumers[i].memberId.isEmpty {
                _ = h.leave(group, [LeavingMember(memberId: consumers[i].memberId)])
            }
            if case let .joining(id) = consumers[i].phase { abandoned.insert(id) }
            if case let .syncing(id) = consumers[i].phase { abandoned.insert(id) }
            consumers[i] = SimConsumer(name: consumers[i].name)
        case 8..<10 where !live.isEmpty:
            let i = live.randomElement(using: &rng)!
            let c = consumers[i]
            h.commit(group, member: c.memberId, generation: c.generation,
                     [OffsetCommitEntry(TopicPartition("t", Int32(i % 3)), offset: Int64(h.now))])
        case 10 where Bool.random(using: &rng):
            // The coordinator moves away and comes back: groups are reloaded from the log.
            h.reload()
        case 11:
            // Appends stall for a while.
            h.completeAppends.toggle()
            if h.completeAppends { h.completeHeldAppends() }
        default:
            break
        }
    }

    /// A consumer following the protocol as the Java client does.
    mutating func act(_ i: Int) {
        var c = consumers[i]
        defer { consumers[i] = c }
        switch c.phase {
        case .crashed:
            return
        case .idle:
            c.phase = .joining(h.join(group, member: c.memberId, client: c.name, session: 3_000, rebalance: 4_000))
        case let .joining(id):
            guard let r = h.joinResult(id) else { return }
            switch r.error {
            case .noError:
                c.generation = r.generationId
                c.memberId = r.memberId
                var assignments: [String: ByteBuffer] = [:]
                if r.leaderId == r.memberId {
                    for m in r.members { assignments[m.memberId] = ByteBuffer(string: "\(m.memberId)@\(r.generationId)") }
                }
                c.phase = .syncing(h.sync(group, member: c.memberId, generation: c.generation, assignments: assignments))
            case .memberIdRequired:
                c.memberId = r.memberId
                c.phase = .idle
            case .unknownMemberId, .fencedInstanceId:
                c.memberId = ""
                c.phase = .idle
            default:
                c.phase = .idle
            }
        case let .syncing(id):
            guard let r = h.syncResult(id) else { return }
            switch r.error {
            case .noError:
                c.assignment = r.assignment
                c.phase = .stable
                c.nextHeartbeat = h.now + 1_000
            case .unknownMemberId:
                c.memberId = ""
                c.phase = .idle
            default:
                c.phase = .idle
            }
        case .stable:
            guard h.now >= c.nextHeartbeat else { return }
            c.nextHeartbeat = h.now + 1_000
            switch h.heartbeat(group, member: c.memberId, generation: c.generation) {
            case .noError?:
                break
            case .unknownMemberId?:
                c.memberId = ""
                c.phase = .idle
            case nil:
                break  // waiting for the coordinator (held appends never delay heartbeats, but be safe)
            default:
                c.phase = .idle
            }
        }
    }

    func checkConverged() throws {
        let live = consumers.filter { $0.phase != .crashed }
        let d = h.describe(group)
        let context = "seed \(seed): state \(d.state), members \(d.members.map(\.memberId)), live \(live.map { "\($0.name)=\($0.memberId)/\($0.phase)" })"
        #expect(d.state == "Stable", "\(context)")
        #expect(Set(d.members.map(\.memberId)) == Set(live.map(\.memberId)), "\(context)")
        let generations = Set(live.map(\.generation))
        #expect(generations.count == 1, "\(context): generations \(generations)")
        for c in live {
            #expect(c.phase == .stable, "\(context): \(c.name) is \(c.phase)")
            #expect(c.assignment == ByteBuffer(string: "\(c.memberId)@\(c.generation)"), "\(context): \(c.name)")
        }
    }
}
