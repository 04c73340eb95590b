import SluiceBase
import Testing
@testable import SluiceClient

@Suite struct AssignorTests {
    private func tps(_ list: [(String, Int32)]) -> [TopicPartition] { list.map { TopicPartition($0.0, $0.1) } }

    /// Kafka's RangeAssignor example: two consumers, two topics of three partitions.
    @Test func rangeGivesContiguousRangesPerTopic() {
        let members = [MemberSubscription(memberId: "c1", topics: ["t0", "t1"]), MemberSubscription(memberId: "c0", topics: ["t0", "t1"])]
        let plan = Assignors.range(members: members, partitionCounts: ["t0": 3, "t1": 3])
        #expect(plan["c0"] == tps([("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)]))
        #expect(plan["c1"] == tps([("t0", 2), ("t1", 2)]))
    }

    /// Kafka's RoundRobinAssignor example: the same group, partitions dealt in turn.
    @Test func roundRobinDealsPartitionsInTurn() {
        let members = [MemberSubscription(memberId: "c0", topics: ["t0", "t1"]), MemberSubscription(memberId: "c1", topics: ["t0", "t1"])]
        let plan = Assignors.roundRobin(members: members, partitionCounts: ["t0": 3, "t1": 3])
        #expect(plan["c0"] == tps([("t0", 0), ("t0", 2), ("t1", 1)]))
        #expect(plan["c1"] == tps([("t0", 1), ("t1", 0), ("t1", 2)]))
    }

    /// Kafka's documented uneven example: c0 subscribes t0; c1 t0,t1; c2 t0,t1,t2 (1, 2, 3 partitions).
    @Test func roundRobinSkipsMembersNotSubscribed() {
        let members = [
            MemberSubscription(memberId: "c0", topics: ["t0"]),
            MemberSubscription(memberId: "c1", topics: ["t0", "t1"]),
            MemberSubscription(memberId: "c2", topics: ["t0", "t1", "t2"]),
        ]
        let plan = Assignors.roundRobin(members: members, partitionCounts: ["t0": 1, "t1": 2, "t2": 3])
        #expect(plan["c0"] == tps([("t0", 0)]))
        #expect(plan["c1"] == tps([("t1", 0)]))
        #expect(plan["c2"] == tps([("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)]))
    }

    @Test func everyPartitionIsAssignedExactlyOnce() {
        for strategy in AssignmentStrategy.allCases {
            for memberCount in 1...5 {
                let members = (0..<memberCount).map { MemberSubscription(memberId: "m\($0)", topics: ["a", "b"]) }
                let plan = Assignors.assign(strategy, members: members, partitionCounts: ["a": 7, "b": 2])
                let all = plan.values.flatMap { $0 }
                #expect(all.count == 9)
                #expect(Set(all).count == 9)
                #expect(plan.count == memberCount)
            }
        }
    }
}
