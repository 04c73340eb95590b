import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Sessions, rebalance and sync timeouts, LeaveGroup: members that go away, politely or not.
@Suite struct GroupSessionTests {
    /// Two members, generation 1, stable, each assigned one partition.
    private func stableGroup(session: Int32 = 10_000, rebalance: Int32 = 30_000) -> (GroupHarness, String, String) {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g", session: session, rebalance: rebalance)
        let (_, bId) = h.joinNewMember("g", session: session, rebalance: rebalance)
        h.advance(by: 6_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("p0"), bId: .text("p1")])
        h.sync("g", member: bId, generation: 1)
        #expect(h.describe("g").state == "Stable")
        return (h, aId, bId)
    }

    @Test func aMemberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout() throws {
        var (h, aId, bId) = stableGroup(session: 10_000)
        // A keeps heartbeating every 3 s; B has crashed.
        for _ in 0..<3 {
            h.advance(by: 3_000)
            #expect(h.heartbeat("g", member: aId, generation: 1) == .noError)
        }
        h.advance(by: 1_000)  // 10 s since B's last sign of life
        #expect(h.describe("g").members.map(\.memberId) == [aId])
        #expect(h.describe("g").state == "PreparingRebalance")
        #expect(h.heartbeat("g", member: aId, generation: 1) == .rebalanceInProgress)
        #expect(h.heartbeat("g", member: bId, generation: 1) == .unknownMemberId)
        let rejoin = h.join("g", member: aId)
        let r = try #require(h.joinResult(rejoin))
        #expect(r.generationId == 2 && r.members.map(\.memberId) == [aId])
    }

    @Test func commitsKeepAMemberAlive() throws {
        var (h, aId, bId) = stableGroup(session: 10_000)
        for i in 0..<5 {
            h.advance(by: 3_000)
            _ = h.heartbeat("g", member: bId, generation: 1)
            let c = h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(TopicPartition("t", 0), offset: Int64(i))])
            #expect(h.commitResult(c)?[TopicPartition("t", 0)] == .noError)
        }
        #expect(h.describe("g").members.count == 2 && h.describe("g").state == "Stable")
    }

    @Test func membersThatDoNotRejoinInTheRebalanceTimeoutAreDropped() throws {
        var (h, aId, bId) = stableGroup(session: 10_000, rebalance: 8_000)
        let a2 = h.join("g", member: aId, rebalance: 8_000)  // the leader asks for a rebalance
        #expect(h.joinResult(a2) == nil)
        // B heartbeats (and learns of the rebalance) but never rejoins.
        for _ in 0..<2 {
            h.advance(by: 3_000)
            #expect(h.heartbeat("g", member: bId, generation: 1) == .rebalanceInProgress)
        }
        h.advance(by: 2_000)  // 8 s: the rebalance timeout
        let r = try #require(h.joinResult(a2))
        #expect(r.generationId == 2 && r.members.map(\.memberId) == [aId])
        #expect(h.heartbeat("g", member: bId, generation: 1) == .unknownMemberId)
    }

    @Test func aMemberThatNeverSyncsIsDroppedAfterTheRebalanceTimeout() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g", rebalance: 5_000)
        let (b, bId) = h.joinNewMember("g", rebalance: 5_000)
        h.advance(by: 5_000)
        #expect(h.joinResult(a)?.generationId == 1 && h.joinResult(b)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("x"), bId: .text("y")])
        #expect(h.describe("g").state == "Stable")
        // B heartbeats but never sends SyncGroup, so it never learns its assignment.
        h.advance(by: 3_000)
        #expect(h.heartbeat("g", member: bId, generation: 1) == .noError)
        _ = h.heartbeat("g", member: aId, generation: 1)
        h.advance(by: 2_000)
        #expect(h.describe("g").members.map(\.memberId) == [aId])
        #expect(h.describe("g").state == "PreparingRebalance")
    }

    @Test func aNewMemberThatNeverCompletesItsJoinIsDropped() throws {
        var config = GroupCoordinatorConfig.testing
        config.newMemberJoinTimeoutMs = 20_000
        var h = GroupHarness(config: config)
        // A member told MEMBER_ID_REQUIRED that never comes back does not hold up the group.
        let ghost = h.join("g")
        #expect(h.joinResult(ghost)?.error == .memberIdRequired)
        let (a, _) = h.joinNewMember("g", session: 10_000, rebalance: 60_000)
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        #expect(h.describe("g").members.count == 1)
    }

    @Test func leavingRebalancesTheOthersAndTheLastOneEmptiesTheGroup() throws {
        var (h, aId, bId) = stableGroup()
        let leaveResult = h.leave("g", [LeavingMember(memberId: bId)])
        let left = try #require(leaveResult)
        #expect(left == LeaveGroupResult(error: .noError, members: [LeaveMemberResult(memberId: bId, groupInstanceId: nil,
                                                                                      error: .noError)]))
        #expect(h.describe("g").state == "PreparingRebalance")
        let a2 = h.join("g", member: aId)
        #expect(h.joinResult(a2)?.generationId == 2)
        h.sync("g", member: aId, generation: 2, assignments: [aId: .text("p0p1")])

        let lastResult = h.leave("g", [LeavingMember(memberId: aId), LeavingMember(memberId: "ghost")])
        let last = try #require(lastResult)
        #expect(last.members.map(\.error) == [.noError, .unknownMemberId])
        let description = h.describe("g")
        #expect(description.state == "Empty" && description.members.isEmpty && description.protocolType == "consumer")
        guard case let .groupMetadata(_, value?) = h.records(of: "g").last else {
            Issue.record("the emptied group was not written")
            return
        }
        #expect(value.generation == 3 && value.members.isEmpty && value.protocolName == nil && value.leader == nil)
        #expect(h.leave("nogroup", [LeavingMember(memberId: "x")])?.members.map(\.error) == [.unknownMemberId])
        #expect(h.unanswered.isEmpty)
    }

    @Test func aLeaderLeavingMidRebalanceHandsOverLeadership() throws {
        var (h, aId, bId) = stableGroup()
        let (c, cId) = h.joinNewMember("g")
        let b2 = h.join("g", member: bId)
        _ = h.leave("g", [LeavingMember(memberId: aId)])  // the leader leaves instead of rejoining
        let rb = try #require(h.joinResult(b2))
        #expect(rb.generationId == 2 && rb.leaderId == bId)
        #expect(rb.members.map(\.memberId) == [bId, cId])
        #expect(h.joinResult(c)?.leaderId == bId)
    }

    @Test func aPendingMemberMayLeave() throws {
        var h = GroupHarness()
        let first = h.join("g")
        let memberId = try #require(h.joinResult(first)?.memberId)
        #expect(h.leave("g", [LeavingMember(memberId: memberId)])?.members.first?.error == .noError)
        let again = h.join("g", member: memberId)
        #expect(h.joinResult(again)?.error == .unknownMemberId)
    }
}
