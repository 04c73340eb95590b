import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Classic and consumer groups side by side: one id is one kind; an empty group of one kind
/// becomes the other on a join (offsets kept); listing, describing and deleting both kinds.
@Suite struct ConsumerGroupConversionTests {
    func harness() -> GroupHarness {
        var h = GroupHarness(config: ConsumerGroupHeartbeatTests.config)
        h.setTopics(["t": 2])
        return h
    }

    let tp = TopicPartition("t", 0)

    @Test func anEmptyClassicGroupBecomesAConsumerGroupAndKeepsItsOffsets() throws {
        var h = harness()
        h.commit("g", [OffsetCommitEntry(tp, offset: 42)])
        #expect(h.state.listGroups().1.map(\.type) == ["classic"])
        let r = try req(h.consumerJoin("g", member: "m1"))
        #expect(r.error == .noError)
        #expect(h.state.listGroups().1.map(\.type) == ["consumer"])
        #expect(h.fetch("g", [tp])[tp]?.offset == 42)
        h.reload()
        #expect(h.state.listGroups().1.map(\.type) == ["consumer"], "the classic metadata was deleted in the log too")
        #expect(h.fetch("g", [tp])[tp]?.offset == 42)
    }

    @Test func aClassicGroupWithMembersRefusesConsumerMembers() throws {
        var h = harness()
        let (join, _) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(join)?.error == .noError)
        let r = try req(h.consumerJoin("g", member: "m1"))
        #expect(r.error == .groupIdNotFound)
        #expect(h.describeConsumer("g").error == .groupIdNotFound, "ConsumerGroupDescribe refuses classic groups")
    }

    @Test func aConsumerGroupRefusesClassicMembersUntilItIsEmpty() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        let refused = h.join("g")
        #expect(h.joinResult(refused)?.error == .inconsistentGroupProtocol)
        #expect(h.heartbeat("g", member: "m1", generation: 1) == .unknownMemberId)
        #expect(h.describe("g").state == "Dead", "DescribeGroups shows only classic groups, as Kafka")

        let id = h.request()
        h.send(.commit(id, OffsetCommitInput(groupId: "g", generationId: 1, memberId: "m1",
                                             offsets: [OffsetCommitEntry(tp, offset: 7)])))
        #expect(h.commitResult(id)?[tp] == .noError)
        _ = h.consumerLeave("g", member: "m1")
        let (join, _) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(join)?.error == .noError)
        #expect(h.state.listGroups().1.map(\.type) == ["classic"])
        #expect(h.fetch("g", [tp])[tp]?.offset == 7)
        h.reload()
        #expect(h.describeConsumer("g").error == .groupIdNotFound)
        #expect(h.fetch("g", [tp])[tp]?.offset == 7)
    }

    @Test func listingFiltersByTypeAndState() {
        var h = harness()
        _ = h.consumerJoin("c", member: "m1")
        h.commit("k", [OffsetCommitEntry(tp, offset: 1)])
        #expect(h.state.listGroups(types: ["Consumer"]).1.map(\.groupId) == ["c"])
        #expect(h.state.listGroups(types: ["classic"]).1.map(\.groupId) == ["k"])
        #expect(h.state.listGroups(states: ["stable"]).1.map(\.groupId) == ["c"])
        #expect(h.state.listGroups(states: ["Empty"]).1.map(\.groupId) == ["k"])
        #expect(h.state.listGroups(types: ["share"]).1.isEmpty)
        #expect(h.state.listGroups().1.first { $0.groupId == "c" }?.protocolType == "consumer")
    }

    @Test func deletingAConsumerGroup() {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        h.send(.commit(h.request(), OffsetCommitInput(groupId: "g", generationId: 1, memberId: "m1",
                                                      offsets: [OffsetCommitEntry(tp, offset: 3)])))
        #expect(h.deleteGroup("g") == .nonEmptyGroup)
        #expect(h.deleteOffsets("g", [tp])?.partitions[tp] == .groupSubscribedToTopic)
        _ = h.consumerLeave("g", member: "m1")
        #expect(h.deleteGroup("g") == .noError)
        #expect(h.fetch("g", [tp])[tp]?.offset == -1)
        h.reload()
        #expect(h.state.listGroups().1.isEmpty)
        #expect(h.fetch("g", [tp])[tp]?.offset == -1)
    }

    @Test func emptyConsumerGroupsExpireWithTheirOffsets() {
        var config = ConsumerGroupHeartbeatTests.config
        config.offsetsRetentionMinutes = 1
        config.offsetsRetentionCheckIntervalMs = 10_000
        var h = GroupHarness(config: config)
        h.setTopics(["t": 2])
        _ = h.consumerJoin("g", member: "m1")
        h.send(.commit(h.request(), OffsetCommitInput(groupId: "g", generationId: 1, memberId: "m1",
                                                      offsets: [OffsetCommitEntry(tp, offset: 3)])))
        _ = h.consumerLeave("g", member: "m1")
        h.advance(by: 70_000)
        #expect(h.state.listGroups().1.isEmpty)
        h.reload()
        #expect(h.state.listGroups().1.isEmpty)
    }
}
