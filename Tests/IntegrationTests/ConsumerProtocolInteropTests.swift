import Foundation
import KafkaProtocol
import Testing

/// KIP-848's consumer group protocol with a real client: confluent-kafka (librdkafka 2.16) with
/// `group.protocol=consumer` against a real `sluice broker` process. Members run as separate
/// processes that commit synchronously after each record. Checked: two then three members share
/// six partitions with nothing consumed twice; a member that leaves or is SIGKILLed is
/// rebalanced away (the killed one after the session timeout) while the others keep their
/// partitions; the admin client describes the group as a consumer group; a classic group beside
/// it is unaffected. The coordinator's SIGKILL in a 3-broker cluster is in
/// `ClusterCoordinatorFailoverTests`.
@Suite(.serialized) struct ConsumerProtocolInteropTests {
    let support = GroupInteropTests()

    func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    func member(_ name: String, _ broker: BrokerProcess, group: String, topic: String) throws -> GroupMember {
        try GroupMember(.confluent, name: name, broker: broker, group: group, topic: topic, groupProtocol: "consumer")
    }

    /// The states a member went through since it first held something, without its last one
    /// (the empty set a clean close reports).
    func neverEmptied(_ m: GroupMember) -> Bool {
        let history = m.assignments.drop { $0.isEmpty }
        return history.allSatisfy { !$0.isEmpty }
    }

    static func describe(_ broker: BrokerProcess, _ group: String) throws -> [String: Any] {
        try GroupBroker.tools(["describe", "--bootstrap", broker.bootstrap, "--group", group]).records.first ?? [:]
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"),
          .timeLimit(.minutes(4)))
    func membersJoinLeaveAndCrashWithIncrementalRebalances() throws {
        let broker = try GroupBroker.shared()
        let topic = unique("kip848"), group = unique("g848")
        try GroupBroker.createTopic(broker, topic, partitions: 6)

        let a = try member("a", broker, group: group, topic: topic)
        let b = try member("b", broker, group: group, topic: topic)
        try support.waitForBalance([a, b], 6)
        try GroupBroker.produce(broker, topic, partitions: 6, start: 0, count: 60)
        try support.waitForConsumed([a, b], 0..<60)

        let c = try member("c", broker, group: group, topic: topic)
        try support.waitForBalance([a, b, c], 6)
        try GroupBroker.produce(broker, topic, partitions: 6, start: 60, count: 60)
        try support.waitForConsumed([a, b, c], 60..<120)
        #expect(!c.values.isEmpty, "the third member got records")

        // The admin client sees a consumer group (ConsumerGroupDescribe) with its three members.
        var described: [String: Any] = [:]
        try GroupBroker.waitUntil("the group described as stable, now \(described)") {
            described = try Self.describe(broker, group)
            return described["state"] as? String == "STABLE"
        }
        #expect(described["type"] as? String == "CONSUMER")
        let members = described["members"] as? [[String: Any]] ?? []
        #expect(members.count == 3)
        let held = members.flatMap { $0["partitions"] as? [Int] ?? [] }
        #expect(held.sorted() == Array(0..<6), "\(members)")

        // A clean leave: b's partitions move to a and c.
        try b.terminate()
        #expect(b.stoppedCleanly, "b: \(b.stderrTail)")
        try support.waitForBalance([a, c], 6)

        // A crash: c's partitions move to a once c's session (6 s) ends.
        let killed = Date()
        c.kill9()
        try support.waitForBalance([a], 6, seconds: Double(GroupBroker.consumerSessionTimeoutMs) / 1000 + 30)
        let took = Date().timeIntervalSince(killed)
        print("KIP-848 group: a SIGKILLed member's partitions reassigned after \(String(format: "%.1f", took)) s (session timeout \(GroupBroker.consumerSessionTimeoutMs) ms)")
        #expect(took >= Double(GroupBroker.consumerSessionTimeoutMs) / 1000 - 1, "not before the session timeout")
        try GroupBroker.produce(broker, topic, partitions: 6, start: 120, count: 60)
        try support.waitForConsumed([a], 120..<180)

        // Incremental: a never had to give everything up while the others came and went.
        #expect(neverEmptied(a), "a's assignments: \(a.assignments)")
        try a.terminate()
        support.expectExactlyOnce([a, b, c], 0..<180, "consumer protocol")
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka && Clients.kafkaPython), "a Python Kafka client is not installed"),
          .timeLimit(.minutes(3)))
    func aClassicGroupAndAConsumerGroupSideBySide() throws {
        let broker = try GroupBroker.shared()
        let topic = unique("mixed848")
        let classicGroup = unique("classic"), consumerGroup = unique("consumer")
        try GroupBroker.createTopic(broker, topic, partitions: 6)
        let classic = try ["x", "y"].map { try GroupMember(.kafkaPython, name: $0, broker: broker, group: classicGroup, topic: topic) }
        let modern = try ["p", "q"].map { try member($0, broker, group: consumerGroup, topic: topic) }
        try support.waitForBalance(classic, 6)
        try support.waitForBalance(modern, 6)
        try GroupBroker.produce(broker, topic, partitions: 6, start: 0, count: 60)
        try support.waitForConsumed(classic, 0..<60)
        try support.waitForConsumed(modern, 0..<60)

        let listed = try GroupBroker.tools(["list", "--bootstrap", broker.bootstrap]).records
        let types = Dictionary(listed.compactMap { r in (r["group"] as? String).map { ($0, r["type"] as? String ?? "") } },
                               uniquingKeysWith: { a, _ in a })
        #expect(types[classicGroup] == "CLASSIC" && types[consumerGroup] == "CONSUMER", "\(listed)")
        // librdkafka describes each with its own API (ConsumerGroupDescribe, then DescribeGroups).
        #expect(try Self.describe(broker, classicGroup)["type"] as? String == "CLASSIC")
        #expect(try Self.describe(broker, consumerGroup)["type"] as? String == "CONSUMER")

        for m in classic + modern { try m.terminate() }
        support.expectExactlyOnce(classic, 0..<60, "classic group")
        support.expectExactlyOnce(modern, 0..<60, "consumer group")
    }

    /// librdkafka's `^` subscriptions go to the broker as `subscribed_topic_regex`: the member
    /// reads the topics that match, and a matching topic created later too.
    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is not installed"),
          .timeLimit(.minutes(2)))
    func aRegexSubscriptionFollowsNewTopics() throws {
        let broker = try GroupBroker.shared()
        let prefix = unique("rx"), group = unique("g-rx")
        try GroupBroker.createTopic(broker, prefix + "-a", partitions: 2)
        try GroupBroker.createTopic(broker, unique("other"), partitions: 1)
        let m = try member("m", broker, group: group, topic: "^\(prefix)-.*")
        try GroupBroker.produce(broker, prefix + "-a", partitions: 2, start: 0, count: 10)
        try support.waitForConsumed([m], 0..<10)
        try GroupBroker.createTopic(broker, prefix + "-b", partitions: 1)
        try GroupBroker.produce(broker, prefix + "-b", partitions: 1, start: 10, count: 5)
        try support.waitForConsumed([m], 10..<15)
        try m.terminate()
        support.expectExactlyOnce([m], 0..<15, "regex subscription")
    }
}
