import Foundation
import KafkaProtocol
import NIOCore
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Seeded random runs of KIP-848 consumers joining, heartbeating, leaving, crashing, going silent
/// (their sessions end) and losing answers, against the coordinator's state machine with
/// simulated time — with topics growing, writes stalling and the coordinator reloading from its
/// log now and then. Checked after every step: no partition held by two members (as the
/// coordinator sees them, and as the consumers themselves believe, for those still members),
/// what a consumer believes it holds is what the coordinator thinks, and group, assignment and
/// member epochs never go back. After the chaos the group must settle: stable, every partition
/// held once, every member at the assignment epoch.
///
/// `SIM_SEED` runs one seed; `SIM_RUNS` sets how many (default 25), as for the classic groups.
@Suite struct ConsumerGroupSimulationTests {
    @Test(arguments: GroupSimulationTests.seeds)
    func consumersNeverShareAPartitionAndSettle(seed: UInt64) throws {
        var sim = ConsumerSimulation(seed: seed)
        sim.run(steps: 600, chaos: true)
        sim.calm()
        sim.run(steps: 0, chaos: false, forMs: 60_000)
        sim.checkSettled()
        #expect(sim.h.unanswered.subtracting(sim.abandoned).isEmpty, "seed \(seed): requests left unanswered")
    }
}

struct ConsumerSimulation {
    struct Member {
        var memberId: String
        var topics: [String]
        var epoch: Int32 = 0
        /// What this consumer believes it holds.
        var owned = TopicPartitionSet()
        var inFlight: RequestID?
        var inFlightIsLeave = false
        /// The answer to the request in flight will be lost.
        var loseAnswer = false
        var fullNext = true
        var nextBeat: Int64 = 0
        var silentUntil: Int64 = 0
        var left = false
    }

    let seed: UInt64
    var rng: SeededRandom
    var h: GroupHarness
    var members: [Member] = []
    var abandoned: Set<RequestID> = []
    var partitions: [String: Int32] = ["t": 6, "u": 3]
    var started = 0
    let group = "sim"
    // Monotonic checks.
    var lastGroupEpoch: Int32 = 0
    var lastAssignmentEpoch: Int32 = 0
    var lastMemberEpochs: [String: Int32] = [:]

    init(seed: UInt64) {
        self.seed = seed
        rng = SeededRandom(seed: seed)
        h = GroupHarness(config: ConsumerGroupHeartbeatTests.config)
        h.setTopics(partitions)
        for _ in 0..<3 { addMember() }
    }

    var context: String { "seed \(seed) at \(h.now)" }

    mutating func addMember() {
        started += 1
        let topics = Bool.random(using: &rng) ? ["t"] : ["t", "u"]
        members.append(Member(memberId: "c\(started)", topics: topics))
    }

    mutating func run(steps: Int, chaos: Bool, forMs: Int64 = 0) {
        let end = h.now + forMs
        var step = 0
        while chaos ? step < steps : h.now < end {
            step += 1
            h.advance(by: Int64.random(in: 0...300, using: &rng))
            if chaos { disturb() }
            for i in members.indices { act(i) }
            check()
        }
    }

    /// The chaos ends: writes go through, nobody is silent any more.
    mutating func calm() {
        h.completeAppends = true
        h.completeHeldAppends()
        for i in members.indices { members[i].silentUntil = 0 }
    }

    mutating func disturb() {
        let live = members.indices.filter { !members[$0].left }
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<3 where live.count < 10 && started < 40:
            addMember()
        case 3..<5 where live.count > 1:
            // A clean leave: it gives up its partitions and says so.
            let i = live.randomElement(using: &rng)!
            if let id = members[i].inFlight { abandoned.insert(id) }
            members[i].owned = .empty
            members[i].left = true
            if members[i].epoch > 0 {
                abandoned.insert(h.consumerHeartbeat(ConsumerGroupHeartbeatInput(
                    groupId: group, memberId: members[i].memberId, memberEpoch: -1)))
            }
        case 5..<7 where live.count > 1:
            // A crash: gone without a word; its session ends it.
            let i = live.randomElement(using: &rng)!
            if let id = members[i].inFlight { abandoned.insert(id) }
            members[i].owned = .empty
            members[i].left = true
        case 7..<10 where !live.isEmpty:
            members[live.randomElement(using: &rng)!].loseAnswer = true
        case 10..<12 where !live.isEmpty:
            // Silent for a while: sometimes long enough for its session to end.
            let i = live.randomElement(using: &rng)!
            members[i].silentUntil = h.now + Int64.random(in: 2_000...15_000, using: &rng)
        case 12 where partitions["t"]! < 12:
            partitions["t"]! += 1
            h.setTopics(partitions)
        case 13 where Bool.random(using: &rng):
            // Writes not made yet are lost with the leadership: nobody saw what they held, so the
            // coordinator's epochs may go back to what its log says.
            if !h.heldAppends.isEmpty {
                lastGroupEpoch = 0
                lastAssignmentEpoch = 0
                lastMemberEpochs = [:]
            }
            h.reload()
        case 14:
            h.completeAppends.toggle()
            if h.completeAppends { h.completeHeldAppends() }
        default:
            break
        }
    }

    /// One consumer, as librdkafka behaves: one heartbeat in flight; an assignment is taken at
    /// once (revoking what is not in it); a fenced or unknown member drops everything and joins
    /// again with epoch 0 and the same id; errors make the next heartbeat a full one.
    mutating func act(_ i: Int) {
        var m = members[i]
        defer { members[i] = m }
        guard !m.left else { return }
        if let id = m.inFlight {
            guard let answer = h.consumerResult(id) else { return }
            m.inFlight = nil
            if m.loseAnswer {
                m.loseAnswer = false
                m.fullNext = true
            } else {
                switch answer.error {
                case .noError:
                    #expect(m.epoch == 0 || answer.memberEpoch >= m.epoch,
                            "\(context): \(m.memberId) was told epoch \(answer.memberEpoch) after \(m.epoch)")
                    m.epoch = answer.memberEpoch
                    if let assignment = answer.assignment { m.owned = assignment }
                    m.fullNext = false
                case .fencedMemberEpoch, .unknownMemberId:
                    m.owned = .empty
                    m.epoch = 0
                default:
                    m.fullNext = true
                }
            }
        }
        guard h.now >= m.nextBeat, h.now >= m.silentUntil else { return }
        m.nextBeat = h.now + 1_000
        if m.epoch == 0 {
            m.inFlight = h.consumerHeartbeat(ConsumerGroupHeartbeatInput(
                groupId: group, memberId: m.memberId, memberEpoch: 0, rebalanceTimeoutMs: 20_000,
                subscribedTopicNames: m.topics, ownedPartitions: .empty))
        } else {
            m.inFlight = h.consumerHeartbeat(ConsumerGroupHeartbeatInput(
                groupId: group, memberId: m.memberId, memberEpoch: m.epoch,
                rebalanceTimeoutMs: m.fullNext ? 20_000 : -1, subscribedTopicNames: m.fullNext ? m.topics : nil,
                ownedPartitions: m.owned))
        }
    }

    mutating func check() {
        let d = h.describeConsumer(group)
        guard d.error == .noError else { return }
        // The coordinator's view: one holder per partition.
        var holder: [String: String] = [:]
        for member in d.members {
            for (t, p) in member.assignment.sortedPairs {
                let key = "\(t)-\(p)"
                #expect(holder[key] == nil, "\(context): \(key) held by \(holder[key] ?? "") and \(member.memberId)")
                holder[key] = member.memberId
            }
        }
        // The consumers' view, for those still members: disjoint, and what the coordinator thinks.
        let described = Dictionary(uniqueKeysWithValues: d.members.map { ($0.memberId, $0) })
        var believed: [String: String] = [:]
        for m in members where !m.left {
            guard let server = described[m.memberId] else { continue }
            #expect(m.owned.isSubset(of: server.assignment),
                    "\(context): \(m.memberId) believes it holds \(m.owned), the coordinator \(server.assignment)")
            for (t, p) in m.owned.sortedPairs {
                let key = "\(t)-\(p)"
                #expect(believed[key] == nil, "\(context): \(key) believed held by \(believed[key] ?? "") and \(m.memberId)")
                believed[key] = m.memberId
            }
        }
        // Epochs only go forward.
        #expect(d.groupEpoch >= lastGroupEpoch && d.assignmentEpoch >= lastAssignmentEpoch, "\(context): group epochs went back")
        #expect(d.assignmentEpoch <= d.groupEpoch, "\(context)")
        lastGroupEpoch = d.groupEpoch
        lastAssignmentEpoch = d.assignmentEpoch
        var epochs: [String: Int32] = [:]
        for member in d.members {
            if let last = lastMemberEpochs[member.memberId] {
                #expect(member.memberEpoch >= last, "\(context): \(member.memberId)'s epoch went from \(last) to \(member.memberEpoch)")
            }
            #expect(member.memberEpoch <= d.assignmentEpoch, "\(context): \(member.memberId) is ahead of the target")
            epochs[member.memberId] = member.memberEpoch
        }
        lastMemberEpochs = epochs
    }

    func checkSettled() {
        let d = h.describeConsumer(group)
        let live = members.filter { !$0.left }
        #expect(d.state == "Stable", "\(context): \(d.state), members \(d.members.map { "\($0.memberId)@\($0.memberEpoch) \($0.state)" })")
        #expect(Set(d.members.map(\.memberId)) == Set(live.map(\.memberId)), "\(context)")
        var expected = Set((0..<partitions["t"]!).map { "t-\($0)" })
        if live.contains(where: { $0.topics.contains("u") }) { expected.formUnion((0..<partitions["u"]!).map { "u-\($0)" }) }
        var held: [String] = []
        for m in live {
            held += ["t", "u"].flatMap { topic in m.owned.partitions(topic).map { "\(topic)-\($0)" } }
            #expect(m.epoch == d.assignmentEpoch, "\(context): \(m.memberId) at \(m.epoch), target \(d.assignmentEpoch)")
        }
        #expect(held.count == Set(held).count && Set(held) == expected, "\(context): held \(held.sorted())")
    }
}
