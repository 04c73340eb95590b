import Foundation
import KafkaProtocol
import Testing

/// Consumer groups with real clients against a real `sluice broker` process: confluent-kafka
/// (librdkafka 2.16), kafka-python, aiokafka and kcat (librdkafka 2.0.2), alone and mixed.
/// Members run as separate processes that commit synchronously after each record; the tests
/// check that every partition has exactly one owner after each rebalance (join, leave, crash),
/// that no record is consumed twice or lost, that a restarted member resumes from the committed
/// offsets, that lag is reported right, and that offsets survive a SIGKILL of the broker.
///
/// Not covered here: a group surviving a SIGKILL of its coordinator while other brokers take
/// over; that needs replication of `__consumer_offsets` (a later issue).
@Suite(.serialized, .onTestThreads) struct GroupInteropTests {
    typealias Kind = GroupMember.Kind

    static let pythonKinds: [Kind] = [.confluent, .kafkaPython, .aiokafka]
    static let allPython = pythonKinds.allSatisfy(\.available)

    func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// Waits until `members` own the `partitions` between them, each one at least one.
    func waitForBalance(_ members: [GroupMember], _ partitions: Int, seconds: TimeInterval = 30) async throws {
        try await keepingOutputOnFailure(members) {
            try await GroupBroker.waitUntil("balanced assignment, now \(members.describeAssignments())", seconds: seconds) {
                members.ownExactly(partitions)
            }
        }
    }

    /// Waits until every value m<range> has been consumed by one of `members`.
    func waitForConsumed(_ members: [GroupMember], _ range: Range<Int>) async throws {
        try await keepingOutputOnFailure(members) {
            try await GroupBroker.waitUntil("m\(range.lowerBound)..<m\(range.upperBound) consumed; \(members.describeAssignments())") {
                let counts = members.consumedCounts
                return range.allSatisfy { counts["m\($0)"] != nil }
            }
        }
    }

    /// On failure, the members' output (their clients' logs) is kept and named in the error.
    func keepingOutputOnFailure(_ members: [GroupMember], _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            for m in members { m.keepOutput = true }
            throw ClientRunner.Failure(description: "\(error) — members' output kept in \(members.map(\.outputDirectory))")
        }
    }

    func expectExactlyOnce(_ members: [GroupMember], _ range: Range<Int>, _ context: String) {
        let counts = members.consumedCounts
        let missing = range.filter { counts["m\($0)"] == nil }
        let twice = counts.filter { $0.value > 1 }.keys.sorted()
        #expect(missing.isEmpty, "\(context): never consumed: \(missing.prefix(10))")
        #expect(twice.isEmpty, "\(context): consumed more than once: \(twice.prefix(10))")
        #expect(counts.count == range.count, "\(context): unexpected values consumed")
    }

    func lag(_ kind: Kind, _ broker: BrokerProcess, group: String, topic: String, partitions: Int) async throws -> [[String: Any]] {
        try await GroupBroker.tools(["lag", "--client", kind.rawValue, "--bootstrap", broker.bootstrap, "--group", group,
                               "--topic", topic, "--partitions", "\(partitions)"]).records
    }

    /// Three members of one client: joins, a clean leave and a crash each rebalance the group;
    /// every record is consumed once; lag is right; a new member resumes where the group left off.
    @Test(.enabled(if: Clients.shouldRun(allPython), "a Python Kafka client is not installed"),
          .timeLimit(.minutes(3)), arguments: pythonKinds)
    func threeMembersRebalanceOnJoinLeaveAndCrash(_ kind: Kind) async throws {
        let broker = try await GroupBroker.shared()
        let topic = unique("grp-\(kind)"), group = unique("g-\(kind)")
        let partitions = 6
        try await GroupBroker.createTopic(broker, topic, partitions: Int32(partitions))
        func member(_ name: String) async throws -> GroupMember {
            try await GroupMember(kind, name: name, broker: broker, group: group, topic: topic)
        }

        let a = try await member("a")
        try await waitForBalance([a], partitions)
        try await GroupBroker.produce(broker, topic, partitions: partitions, start: 0, count: 60)
        try await waitForConsumed([a], 0..<60)

        let b = try await member("b")
        try await waitForBalance([a, b], partitions)
        let c = try await member("c")
        try await waitForBalance([a, b, c], partitions)
        try await GroupBroker.produce(broker, topic, partitions: partitions, start: 60, count: 60)
        try await waitForConsumed([a, b, c], 60..<120)
        #expect(!c.values.isEmpty, "the third member got records")

        try await b.terminate()  // leaves the group
        #expect(b.stoppedCleanly, "b: \(b.stderrTail)")
        try await waitForBalance([a, c], partitions)
        await c.kill9()  // the group notices when c's session times out
        try await waitForBalance([a], partitions)
        try await GroupBroker.produce(broker, topic, partitions: partitions, start: 120, count: 60)
        try await waitForConsumed([a], 120..<180)
        try await a.terminate()
        expectExactlyOnce([a, b, c], 0..<180, "\(kind)")

        // No members: 30 more records wait, 5 per partition; the client's admin API sees the lag.
        try await GroupBroker.produce(broker, topic, partitions: partitions, start: 180, count: 30)
        let lags = try await lag(kind, broker, group: group, topic: topic, partitions: partitions)
        #expect(lags.count == partitions)
        for l in lags {
            #expect(l["lag"] as? Int == 5 && l["committed"] as? Int == 30 && l["end"] as? Int == 35, "\(l)")
        }

        let d = try await member("d")
        try await waitForConsumed([d], 180..<210)
        try await d.terminate()
        #expect(Set(d.values) == Set((180..<210).map { "m\($0)" }), "d resumed from the committed offsets")
        expectExactlyOnce([a, b, c, d], 0..<210, "\(kind) after the restart")
    }

    /// confluent-kafka, kafka-python and aiokafka in one group: the coordinator picks roundrobin,
    /// the only assignor all three offer (aiokafka offers nothing else by default).
    @Test(.enabled(if: Clients.shouldRun(allPython), "a Python Kafka client is not installed"), .timeLimit(.minutes(2)))
    func aMixedGroupOfAllThreeClients() async throws {
        let broker = try await GroupBroker.shared()
        let topic = unique("grp-mixed"), group = unique("g-mixed")
        try await GroupBroker.createTopic(broker, topic, partitions: 6)
        var members: [GroupMember] = []
        for kind in [Kind.confluent, .kafkaPython, .aiokafka] {
            members.append(try await GroupMember(kind, name: kind.rawValue, broker: broker, group: group, topic: topic))
        }
        try await waitForBalance(members, 6)
        #expect(try await GroupBroker.describeGroup(broker, group)?.protocolData == "roundrobin")
        try await GroupBroker.produce(broker, topic, partitions: 6, start: 0, count: 60)
        try await waitForConsumed(members, 0..<60)
        try await members[1].terminate()
        try await waitForBalance([members[0], members[2]], 6)
        try await GroupBroker.produce(broker, topic, partitions: 6, start: 60, count: 30)
        try await waitForConsumed(members, 60..<90)
        for m in members { try await m.terminate() }
        expectExactlyOnce(members, 0..<90, "mixed group")
        let described = try await GroupBroker.describeGroup(broker, group)
        #expect(described?.groupState == "Empty" && described?.protocolType == "consumer")
    }

    /// cooperative-sticky (KIP-429): a member keeps its partitions while others join; only moved
    /// partitions are revoked, in extra rounds the coordinator just passes through.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"),
          .timeLimit(.minutes(2)))
    func cooperativeStickyRebalancesIncrementally() async throws {
        let broker = try await GroupBroker.shared()
        let topic = unique("grp-coop"), group = unique("g-coop")
        try await GroupBroker.createTopic(broker, topic, partitions: 6)
        let a = try await GroupMember(.confluent, name: "a", broker: broker, group: group, topic: topic, assignor: "cooperative-sticky")
        try await waitForBalance([a], 6)
        let b = try await GroupMember(.confluent, name: "b", broker: broker, group: group, topic: topic, assignor: "cooperative-sticky")
        try await waitForBalance([a, b], 6)
        let c = try await GroupMember(.confluent, name: "c", broker: broker, group: group, topic: topic, assignor: "cooperative-sticky")
        try await waitForBalance([a, b, c], 6)
        // A never gave up everything: each change only took partitions away (or added some).
        let history = a.assignments
        #expect(history.dropFirst().allSatisfy { !$0.isEmpty }, "a's assignments: \(history.map { $0.sorted() })")
        #expect(history.last?.count == 2 && history.last!.isSubset(of: history.first!))
        try await GroupBroker.produce(broker, topic, partitions: 6, start: 0, count: 60)
        try await waitForConsumed([a, b, c], 0..<60)
        for m in [a, b, c] { try await m.terminate() }
        expectExactlyOnce([a, b, c], 0..<60, "cooperative-sticky")
    }

    /// Static membership (KIP-345): a member restarted with the same `group.instance.id` within
    /// its session timeout gets its partitions back without a rebalance of the others.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"),
          .timeLimit(.minutes(2)))
    func aStaticMemberRestartsWithoutARebalance() async throws {
        let broker = try await GroupBroker.shared()
        let topic = unique("grp-static"), group = unique("g-static")
        try await GroupBroker.createTopic(broker, topic, partitions: 4)
        func member(_ name: String) async throws -> GroupMember {
            try await GroupMember(.confluent, name: name, broker: broker, group: group, topic: topic, instance: "instance-\(name)",
                            sessionMs: 20_000)
        }
        let a = try await member("a")
        let b = try await member("b")
        try await waitForBalance([a, b], 4)
        let generation = try await GroupBroker.describeGroup(broker, group)
        let aChanges = a.assignments.count
        let bPartitions = b.assignment
        await b.kill9()
        let b2 = try await member("b")
        try await waitForBalance([a, b2], 4)
        #expect(b2.assignment == bPartitions, "the restarted instance has its partitions back")
        #expect(a.assignments.count == aChanges, "a was not rebalanced: \(a.assignments.map { $0.sorted() })")
        let after = try await GroupBroker.describeGroup(broker, group)
        #expect(after?.groupState == "Stable" && after?.members.count == 2)
        #expect(Set(after?.members.compactMap(\.groupInstanceId) ?? []) == ["instance-a", "instance-b"])
        _ = generation
        try await GroupBroker.produce(broker, topic, partitions: 4, start: 0, count: 20)
        try await waitForConsumed([a, b2], 0..<20)
        try await a.terminate()
        try await b2.terminate()
        expectExactlyOnce([a, b2], 0..<20, "static members")
    }

    /// kcat's balanced consumer (`-G`, librdkafka 2.0.2, which needs FindCoordinator v0 and the
    /// other v0s advertised): two members split the partitions, auto-commit, and a later run
    /// resumes from the committed offsets.
    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"), .timeLimit(.minutes(2)))
    func kcatBalancedConsumers() async throws {
        let broker = try await GroupBroker.shared()
        let topic = unique("grp-kcat"), group = unique("g-kcat")
        try await GroupBroker.createTopic(broker, topic, partitions: 4)
        let a = try await GroupMember(.kcat, name: "a", broker: broker, group: group, topic: topic)
        let b = try await GroupMember(.kcat, name: "b", broker: broker, group: group, topic: topic)
        try await waitForBalance([a, b], 4)
        try await GroupBroker.produce(broker, topic, partitions: 4, start: 0, count: 40)
        try await waitForConsumed([a, b], 0..<40)
        try await a.terminate()
        try await b.terminate()  // kcat commits on close
        expectExactlyOnce([a, b], 0..<40, "kcat -G")

        try await GroupBroker.produce(broker, topic, partitions: 4, start: 40, count: 8)
        let c = try await GroupMember(.kcat, name: "c", broker: broker, group: group, topic: topic)
        try await waitForConsumed([c], 40..<48)
        try await c.terminate()
        #expect(Set(c.values) == Set((40..<48).map { "m\($0)" }), "resumed from the committed offsets: \(c.values)")
    }

    /// Committed offsets and group metadata are in `__consumer_offsets` in Kafka's format (read
    /// back by hand, as Burrow reads them), and survive a SIGKILL of the broker.
    @Test(.enabled(if: Clients.shouldRun(allPython), "a Python Kafka client is not installed"),
          .timeLimit(.minutes(2)))
    func offsetsSurviveASigkillOfTheBroker() async throws {
        // SIGKILLed at the end: nothing is left to check in a clean shutdown.
        try await withResource(try BrokerProcess(extraArguments: GroupBroker.arguments), stop: { await $0.kill9() }) { broker in
            try await broker.start()
            let topic = "durable", group = "durable-group"
            try await GroupBroker.createTopic(broker, topic, partitions: 3)
            let a = try await GroupMember(.kafkaPython, name: "a", broker: broker, group: group, topic: topic)
            try await waitForBalance([a], 3)
            try await GroupBroker.produce(broker, topic, partitions: 3, start: 0, count: 30)
            try await waitForConsumed([a], 0..<30)
            try await a.terminate()

            let before = try await GroupBroker.tools(["offsets-topic", "--bootstrap", broker.bootstrap]).records
            let committed = before.filter { $0["event"] as? String == "offset" && $0["group"] as? String == group }
            #expect(committed.map { $0["partition"] as? Int } == [0, 1, 2])
            #expect(committed.allSatisfy { $0["offset"] as? Int == 10 && $0["version"] as? Int == 3 })
            let metadata = before.first { $0["event"] as? String == "group" && $0["group"] as? String == group }
            #expect(metadata?["version"] as? Int == 3 && metadata?["protocol_type"] as? String == "consumer")
            #expect((metadata?["members"] as? [Any])?.isEmpty == true, "the group emptied when a left")

            await broker.kill9()
            try await broker.start()
            var lags: [[String: Any]] = []
            try await GroupBroker.waitUntil("the offsets after the restart", seconds: 30) {
                lags = (try? await lag(.confluent, broker, group: group, topic: topic, partitions: 3)) ?? []
                return lags.count == 3 && lags.allSatisfy { $0["committed"] as? Int == 10 }
            }
            #expect(lags.allSatisfy { $0["lag"] as? Int == 0 })
            try await GroupBroker.produce(broker, topic, partitions: 3, start: 30, count: 9)
            let b = try await GroupMember(.aiokafka, name: "b", broker: broker, group: group, topic: topic)
            try await waitForConsumed([b], 30..<39)
            try await b.terminate()
            #expect(Set(b.values) == Set((30..<39).map { "m\($0)" }), "resumed after the crash: \(b.values)")
        }
    }
}
