import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Static membership (KIP-345): members with a `group.instance.id` survive restarts without a
/// rebalance, and older incarnations are fenced.
@Suite struct GroupStaticMembershipTests {
    /// Two static members "i-a" (leader) and "i-b", stable at generation 1.
    private func staticGroup(protocols: [GroupProtocol] = [.range(["t"])]) -> (GroupHarness, String, String) {
        var h = GroupHarness()
        let a = h.join("g", instance: "i-a", session: 10_000, rebalance: 5_000, protocols: protocols)
        let b = h.join("g", instance: "i-b", session: 10_000, rebalance: 5_000, protocols: protocols)
        h.advance(by: 6_000)
        let ra = h.joinResult(a)!
        let rb = h.joinResult(b)!
        #expect(ra.error == .noError, "static members never get MEMBER_ID_REQUIRED")
        #expect(ra.memberId.hasPrefix("i-a-") && rb.memberId.hasPrefix("i-b-"))
        #expect(ra.members.map(\.groupInstanceId) == ["i-a", "i-b"])
        h.sync("g", member: ra.memberId, generation: 1, instance: "i-a",
               assignments: [ra.memberId: .text("A"), rb.memberId: .text("B")])
        h.sync("g", member: rb.memberId, generation: 1, instance: "i-b")
        #expect(h.describe("g").state == "Stable")
        return (h, ra.memberId, rb.memberId)
    }

    @Test func aRestartedFollowerRejoinsWithoutARebalanceAndTheOldIdIsFenced() throws {
        var (h, aId, oldB) = staticGroup()
        let rejoin = h.join("g", instance: "i-b", session: 10_000)
        let r = try #require(h.joinResult(rejoin))
        #expect(r.error == .noError && r.generationId == 1 && r.memberId != oldB && r.memberId.hasPrefix("i-b-"))
        #expect(r.leaderId == aId && r.members.isEmpty && !r.skipAssignment)
        #expect(h.describe("g").state == "Stable", "no rebalance")
        let sync = h.sync("g", member: r.memberId, generation: 1, instance: "i-b")
        #expect(h.syncResult(sync)?.assignment == .text("B"), "keeps its assignment")
        #expect(h.heartbeat("g", member: oldB, generation: 1, instance: "i-b") == .fencedInstanceId)
        let oldSync = h.sync("g", member: oldB, generation: 1, instance: "i-b")
        #expect(h.syncResult(oldSync)?.error == .fencedInstanceId)
        let oldCommit = h.commit("g", member: oldB, generation: 1, instance: "i-b",
                                 [OffsetCommitEntry(TopicPartition("t", 0), offset: 1)])
        #expect(h.commitResult(oldCommit)?[TopicPartition("t", 0)] == .fencedInstanceId)
        let oldJoin = h.join("g", member: oldB, instance: "i-b")
        #expect(h.joinResult(oldJoin)?.error == .fencedInstanceId)
        #expect(h.heartbeat("g", member: r.memberId, generation: 1, instance: "i-b") == .noError)
        // The new member id is durable.
        guard case let .groupMetadata(_, value?) = h.records(of: "g").last else {
            Issue.record("the new member id was not written")
            return
        }
        #expect(value.members.map(\.memberId) == [aId, r.memberId])
        #expect(value.members.map(\.groupInstanceId) == ["i-a", "i-b"])
    }

    @Test func aRestartedLeaderIsToldToSkipTheAssignmentFromVersion9() throws {
        var (h, oldA, bId) = staticGroup()
        let rejoin = h.join("g", instance: "i-a", session: 10_000, skipAssignment: true)
        let r = try #require(h.joinResult(rejoin))
        #expect(r.error == .noError && r.leaderId == r.memberId && r.skipAssignment)
        #expect(r.members.map(\.memberId) == [r.memberId, bId])
        #expect(h.describe("g").state == "Stable")
        _ = oldA
    }

    @Test func beforeVersion9ARestartedLeaderSeesThePreviousLeaderId() throws {
        var (h, oldA, _) = staticGroup()
        let rejoin = h.join("g", instance: "i-a", session: 10_000, skipAssignment: false)
        let r = try #require(h.joinResult(rejoin))
        #expect(r.error == .noError && r.leaderId == oldA && r.memberId != oldA && r.members.isEmpty)
    }

    @Test func aStaticMemberRejoiningWithOtherProtocolsRebalances() throws {
        var (h, aId, _) = staticGroup(protocols: [.range(["t"]), .roundrobin(["t"])])
        let rejoin = h.join("g", instance: "i-b", session: 10_000, protocols: [.consumer("sticky", ["t"])])
        #expect(h.joinResult(rejoin)?.error == .inconsistentGroupProtocol)
        // With only roundrobin, the group's protocol must change from range: that takes a rebalance.
        let rejoin2 = h.join("g", instance: "i-b", session: 10_000, rebalance: 5_000, protocols: [.roundrobin(["t"])])
        #expect(h.joinResult(rejoin2) == nil)
        #expect(h.describe("g").state == "PreparingRebalance")
        let a2 = h.join("g", member: aId, instance: "i-a", session: 10_000, rebalance: 5_000,
                        protocols: [.range(["t"]), .roundrobin(["t"])])
        #expect(h.joinResult(a2)?.generationId == 2)
        #expect(h.joinResult(rejoin2)?.generationId == 2 && h.joinResult(rejoin2)?.protocolName == "roundrobin")
    }

    @Test func aStaticMemberThatDoesNotRejoinStaysInTheGroupUntilItsSessionEnds() throws {
        var (h, aId, bId) = staticGroup()
        let a2 = h.join("g", member: aId, instance: "i-a", session: 10_000, rebalance: 5_000)
        h.advance(by: 3_000)
        _ = h.heartbeat("g", member: bId, generation: 1, instance: "i-b")
        h.advance(by: 2_000)  // rebalance timeout: B (static) stays a member without rejoining
        let r = try #require(h.joinResult(a2))
        #expect(r.generationId == 2 && r.members.map(\.memberId) == [aId, bId])
        h.sync("g", member: aId, generation: 2, instance: "i-a", assignments: [aId: .text("A"), bId: .text("B")])
        // B never comes back: its session ends and the group rebalances without it.
        for _ in 0..<4 {
            h.advance(by: 3_000)
            _ = h.heartbeat("g", member: aId, generation: 2, instance: "i-a")
        }
        #expect(h.describe("g").members.map(\.memberId) == [aId])
    }

    @Test func aFullGroupTakesBackARestartedStaticMember() throws {
        var config = GroupCoordinatorConfig.testing
        config.maxGroupSize = 1
        var h = GroupHarness(config: config)
        let a = h.join("g", instance: "i-a", session: 10_000)
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.error == .noError)
        let other = h.join("g", instance: "i-b", session: 10_000)
        #expect(h.joinResult(other)?.error == .groupMaxSizeReached)
        let again = h.join("g", instance: "i-a", session: 10_000)
        #expect(h.joinResult(again)?.error == .noError)
    }

    @Test func adminsRemoveStaticMembersByInstanceId() throws {
        var (h, aId, _) = staticGroup()
        let result = h.leave("g", [LeavingMember(memberId: "", groupInstanceId: "i-b"),
                                   LeavingMember(memberId: "", groupInstanceId: "i-zz"),
                                   LeavingMember(memberId: "wrong", groupInstanceId: "i-a")])
        #expect(result?.members.map(\.error) == [.noError, .unknownMemberId, .fencedInstanceId])
        #expect(h.describe("g").members.map(\.memberId) == [aId])
    }
}
