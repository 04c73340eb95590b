import KafkaProtocol
import Testing

@testable import SluiceBroker

/// The server-side assignors as pure functions: every partition of a subscribed topic to exactly
/// one subscribed member; uniform balanced and sticky; range in contiguous ranges.
@Suite struct ServerAssignorTests {
    let a = GroupHarness.topicId("a"), b = GroupHarness.topicId("b")

    func member(_ id: String, _ topics: Set<KafkaUUID>, previous: TopicPartitionSet = .empty,
                instance: String? = nil) -> AssignmentSpec.Member {
        AssignmentSpec.Member(memberId: id, instanceId: instance, topics: topics, previous: previous)
    }

    /// Every partition once, only to subscribed members.
    func expectComplete(_ result: [String: TopicPartitionSet], _ spec: AssignmentSpec, sourceLocation: SourceLocation = #_sourceLocation) {
        var seen: [String] = []
        for m in spec.members {
            for (topic, p) in (result[m.memberId] ?? .empty).sortedPairs {
                #expect(m.topics.contains(topic), "\(m.memberId) got a topic it does not subscribe to", sourceLocation: sourceLocation)
                seen.append("\(topic)-\(p)")
            }
        }
        #expect(Set(seen).count == seen.count, "a partition assigned twice", sourceLocation: sourceLocation)
        let subscribed = spec.members.reduce(into: Set<KafkaUUID>()) { $0.formUnion($1.topics) }
        let total = subscribed.reduce(0) { $0 + Int(spec.partitionCounts[$1] ?? 0) }
        #expect(seen.count == total, "not every partition assigned", sourceLocation: sourceLocation)
    }

    @Test func uniformBalancesAndKeepsWhatMembersHad() {
        var spec = AssignmentSpec(members: [member("m1", [a]), member("m2", [a]), member("m3", [a])], partitionCounts: [a: 7])
        let first = ServerAssignor.uniform.assign(spec)
        expectComplete(first, spec)
        #expect(first.values.map(\.count).sorted() == [2, 2, 3])

        // A fourth member: everyone keeps most of what it had; it gets at least one.
        spec.members = spec.members.map { member($0.memberId, $0.topics, previous: first[$0.memberId]!) } + [member("m4", [a])]
        let second = ServerAssignor.uniform.assign(spec)
        expectComplete(second, spec)
        #expect(second.values.map(\.count).sorted() == [1, 2, 2, 2])
        let moved = ["m1", "m2", "m3"].reduce(0) { $0 + first[$1]!.subtracting(second[$1]!).count }
        #expect(moved == 1, "only what the new member needs moves")

        // The same input gives the same output.
        #expect(ServerAssignor.uniform.assign(spec) == second)
    }

    @Test func uniformHandlesDifferentSubscriptions() {
        let spec = AssignmentSpec(members: [member("m1", [a, b]), member("m2", [a]), member("m3", [b])],
                                  partitionCounts: [a: 4, b: 4])
        let result = ServerAssignor.uniform.assign(spec)
        expectComplete(result, spec)
        let counts = result.values.map(\.count)
        #expect(counts.max()! - counts.min()! <= 1, "\(result)")
    }

    @Test func rangeGivesContiguousRangesPerTopic() {
        let spec = AssignmentSpec(members: [member("m2", [a, b]), member("m1", [a, b]), member("s", [a], instance: "i1")],
                                  partitionCounts: [a: 7, b: 4])
        let result = ServerAssignor.range.assign(spec)
        expectComplete(result, spec)
        // Static members first, then by member id: s, m1, m2 for a (3,2,2); m1, m2 for b (2,2).
        #expect(result["s"]!.partitions(of: a).sorted() == [0, 1, 2])
        #expect(result["m1"]!.partitions(of: a).sorted() == [3, 4])
        #expect(result["m2"]!.partitions(of: a).sorted() == [5, 6])
        #expect(result["m1"]!.partitions(of: b).sorted() == [0, 1])
        #expect(result["m2"]!.partitions(of: b).sorted() == [2, 3])
    }

    @Test func assignorsByNameAndKafkaClassName() {
        #expect(ServerAssignor.named("uniform") == .uniform)
        #expect(ServerAssignor.named("org.apache.kafka.coordinator.group.assignor.RangeAssignor") == .range)
        #expect(ServerAssignor.named("sticky") == nil)
    }
}
