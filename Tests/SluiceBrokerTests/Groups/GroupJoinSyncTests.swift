import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// JoinGroup and SyncGroup flows on the pure state machine, with simulated time.
@Suite struct GroupJoinSyncTests {
    @Test func aNewMemberGetsItsIdFirstThenLeadsGenerationOne() throws {
        var h = GroupHarness()
        let first = h.join("g", client: "app")
        let required = try #require(h.joinResult(first))
        #expect(required.error == .memberIdRequired)
        #expect(required.memberId == "app-uuid1")
        #expect(h.describe("g").state == "Empty")

        let protocols: [GroupProtocol] = [.consumer("range", ["orders"], userData: "opaque\u{0}bytes")]
        let second = h.join("g", member: required.memberId, protocols: protocols)
        #expect(h.joinResult(second) == nil, "waits for the initial rebalance delay")
        #expect(h.describe("g").state == "PreparingRebalance")
        h.advance(by: 2_999)
        #expect(h.joinResult(second) == nil)
        h.advance(by: 1)
        let joined = try #require(h.joinResult(second))
        #expect(joined.error == .noError)
        #expect(joined.generationId == 1)
        #expect(joined.leaderId == required.memberId && joined.memberId == required.memberId)
        #expect(joined.protocolType == "consumer" && joined.protocolName == "range")
        // The member's metadata comes back byte for byte.
        #expect(joined.members == [JoinGroupMemberInfo(memberId: required.memberId, groupInstanceId: nil,
                                                       metadata: protocols[0].metadata)])
        #expect(h.describe("g").state == "CompletingRebalance")

        let assignment = ByteBuffer(bytes: [0, 1, 2, 255, 0, 7])
        let sync = h.sync("g", member: required.memberId, generation: 1, assignments: [required.memberId: assignment])
        let synced = try #require(h.syncResult(sync))
        #expect(synced.error == .noError && synced.assignment == assignment)
        #expect(synced.protocolType == "consumer" && synced.protocolName == "range")
        #expect(h.describe("g").state == "Stable")
        #expect(h.heartbeat("g", member: required.memberId, generation: 1) == ErrorCode.noError)
        #expect(h.unanswered.isEmpty)

        // The generation and its assignment were written to the group's offsets partition.
        guard case let .groupMetadata(_, value?) = h.records(of: "g").last else {
            Issue.record("no group metadata record")
            return
        }
        #expect(value.generation == 1 && value.protocolName == "range" && value.leader == required.memberId)
        #expect(value.members.map(\.assignment) == [assignment])
        #expect(value.members.map(\.subscription) == [protocols[0].metadata])
    }

    @Test func olderJoinVersionsJoinWithoutMemberIdRequired() throws {
        var h = GroupHarness()
        let id = h.join("g", client: "old", requireKnownMemberId: false)
        h.advance(by: 3_000)
        let r = try #require(h.joinResult(id))
        #expect(r.error == .noError && r.memberId == "old-uuid1" && r.leaderId == "old-uuid1")
    }

    @Test func theInitialDelayIsExtendedWhileMembersArrive() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g", rebalance: 10_000)
        h.advance(by: 2_000)
        let (b, bId) = h.joinNewMember("g", rebalance: 10_000)
        h.advance(by: 1_000)  // t=3000: B arrived during the delay, so wait another 3000
        #expect(h.joinResult(a) == nil && h.joinResult(b) == nil)
        h.advance(by: 3_000)  // t=6000
        let ra = try #require(h.joinResult(a))
        let rb = try #require(h.joinResult(b))
        #expect(ra.generationId == 1 && rb.generationId == 1)
        #expect(ra.leaderId == aId && rb.leaderId == aId)
        #expect(Set(ra.members.map(\.memberId)) == [aId, bId])
        #expect(rb.members.isEmpty, "only the leader sees the members")
    }

    @Test func theInitialDelayNeverExceedsTheRebalanceTimeout() throws {
        var h = GroupHarness()
        let (a, _) = h.joinNewMember("g", rebalance: 4_000)
        h.advance(by: 2_500)
        _ = h.joinNewMember("g", rebalance: 4_000)
        h.advance(by: 500)   // t=3000, one more delay of at most 4000-3000 = 1000
        #expect(h.joinResult(a) == nil)
        h.advance(by: 1_000)
        #expect(h.joinResult(a)?.generationId == 1)
    }

    @Test func aJoinToAStableGroupRebalancesEveryone() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        let (b, bId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a) == nil, "B joined during the initial delay, which is extended once")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1 && h.joinResult(b)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("a1"), bId: .text("b1")])
        let sb = h.sync("g", member: bId, generation: 1)
        #expect(h.syncResult(sb)?.assignment == .text("b1"))

        let (c, cId) = h.joinNewMember("g")
        #expect(h.describe("g").state == "PreparingRebalance")
        #expect(h.heartbeat("g", member: aId, generation: 1) == .rebalanceInProgress)
        #expect(h.heartbeat("g", member: bId, generation: 1) == .rebalanceInProgress)
        // A stale generation is refused outright.
        #expect(h.heartbeat("g", member: aId, generation: 0) == .illegalGeneration)
        // Members may commit while the rebalance waits for them.
        let commit = h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(TopicPartition("t", 0), offset: 5)])
        #expect(h.commitResult(commit)?[TopicPartition("t", 0)] == .noError)

        let a2 = h.join("g", member: aId)
        #expect(h.joinResult(a2) == nil)
        let b2 = h.join("g", member: bId)
        // Everyone is back: the rebalance completes without waiting for its timeout.
        let ra = try #require(h.joinResult(a2))
        #expect(ra.generationId == 2 && ra.leaderId == aId)
        #expect(ra.members.map(\.memberId) == [aId, bId, cId])
        #expect(h.joinResult(b2)?.generationId == 2 && h.joinResult(c)?.generationId == 2)

        // Followers syncing before the leader wait for its assignment.
        let sc = h.sync("g", member: cId, generation: 2)
        #expect(h.syncResult(sc) == nil)
        #expect(h.heartbeat("g", member: cId, generation: 2) == .noError)
        let sa = h.sync("g", member: aId, generation: 2, assignments: [aId: .text("a2"), cId: .text("c2")])
        #expect(h.syncResult(sc)?.assignment == .text("c2"))
        #expect(h.syncResult(sa)?.assignment == .text("a2"))
        // B was left out by the leader: it gets an empty assignment.
        let sb2 = h.sync("g", member: bId, generation: 2)
        #expect(h.syncResult(sb2) == SyncGroupResult(error: .noError, protocolType: "consumer", protocolName: "range",
                                                     assignment: ByteBuffer()))
        #expect(h.unanswered.isEmpty)
    }

    @Test func theProtocolMostMembersPreferAmongThoseAllSupportWins() throws {
        var h = GroupHarness()
        let (a, _) = h.joinNewMember("g", protocols: [.range(["t"]), .roundrobin(["t"])])
        let (b, _) = h.joinNewMember("g", protocols: [.roundrobin(["t"])])
        let (c, _) = h.joinNewMember("g", protocols: [.range(["t"]), .roundrobin(["t"])])
        h.advance(by: 6_000)
        // range is preferred by two members, but B does not support it.
        #expect(h.joinResult(a)?.protocolName == "roundrobin")
        #expect(h.joinResult(b)?.protocolName == "roundrobin" && h.joinResult(c)?.protocolName == "roundrobin")
        // The leader sees each member's roundrobin metadata, not its first protocol's.
        #expect(h.joinResult(a)?.members.first?.metadata == GroupProtocol.roundrobin(["t"]).metadata)

        let sticky = h.join("g", protocols: [.consumer("cooperative-sticky", ["t"])])
        #expect(h.joinResult(sticky)?.error == .inconsistentGroupProtocol)
        let otherType = h.join("g", type: "connect", protocols: [.roundrobin(["t"])])
        #expect(h.joinResult(otherType)?.error == .inconsistentGroupProtocol)
        let nothing = h.join("fresh", protocols: [])
        #expect(h.joinResult(nothing)?.error == .inconsistentGroupProtocol)
        #expect(h.describe("fresh").state == "Dead", "a failed first join leaves no group behind")
    }

    @Test func joinErrors() throws {
        var config = GroupCoordinatorConfig.testing
        config.maxGroupSize = 1
        var h = GroupHarness(config: config)
        var id = h.join("g", session: 999)
        #expect(h.joinResult(id)?.error == .invalidSessionTimeout)
        id = h.join("g", session: 1_800_001)
        #expect(h.joinResult(id)?.error == .invalidSessionTimeout)
        id = h.join("", session: 5_000)
        #expect(h.joinResult(id)?.error == .invalidGroupId)
        id = h.join("g", member: "ghost")
        #expect(h.joinResult(id)?.error == .unknownMemberId)
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.error == .noError)
        id = h.join("g")
        #expect(h.joinResult(id)?.error == .groupMaxSizeReached)
        id = h.join("g", member: "ghost")
        #expect(h.joinResult(id)?.error == .unknownMemberId)
        // Syncs and heartbeats from strangers or other generations.
        id = h.sync("g", member: "ghost", generation: 1)
        #expect(h.syncResult(id)?.error == .unknownMemberId)
        id = h.sync("g", member: aId, generation: 7)
        #expect(h.syncResult(id)?.error == .illegalGeneration)
        id = h.sync("nogroup", member: aId, generation: 1)
        #expect(h.syncResult(id)?.error == .unknownMemberId)
        let wrongProtocol = h.request()
        h.send(.sync(wrongProtocol, SyncGroupInput(groupId: "g", generationId: 1, memberId: aId, protocolName: "x")))
        #expect(h.syncResult(wrongProtocol)?.error == .inconsistentGroupProtocol)
        #expect(h.heartbeat("g", member: "ghost", generation: 1) == .unknownMemberId)
        #expect(h.heartbeat("nogroup", member: aId, generation: 1) == .unknownMemberId)
        #expect(h.heartbeat("", member: aId, generation: 1) == .invalidGroupId)
        #expect(h.unanswered.isEmpty)
    }

    @Test func aSyncDuringTheJoinPhaseIsToldToRejoin() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        // Before its SyncGroup, the same JoinGroup again just repeats generation 1.
        let repeated = h.join("g", member: aId)
        #expect(h.joinResult(repeated)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("x")])
        let rejoin = h.join("g", member: aId)  // the stable group's leader rejoins: a new rebalance
        #expect(h.joinResult(rejoin)?.generationId == 2, "alone, it completes at once")
        var id = h.sync("g", member: aId, generation: 1)
        #expect(h.syncResult(id)?.error == .illegalGeneration)

        let (b, _) = h.joinNewMember("g")
        #expect(h.joinResult(b) == nil)
        id = h.sync("g", member: aId, generation: 2)
        #expect(h.syncResult(id)?.error == .rebalanceInProgress)
        #expect(h.heartbeat("g", member: aId, generation: 2) == .rebalanceInProgress)
    }

    @Test func commitsWhileTheAssignmentIsPendingAreRefused() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        let c = h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(TopicPartition("t", 0), offset: 1)])
        #expect(h.commitResult(c)?[TopicPartition("t", 0)] == .rebalanceInProgress)
    }

    @Test func aFollowerRepeatingItsJoinGetsTheCurrentGeneration() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        let (_, bId) = h.joinNewMember("g")
        h.advance(by: 6_000)
        #expect(h.joinResult(a)?.generationId == 1)
        // B lost its JoinGroup answer and asks again, same metadata: no new rebalance.
        let again = h.join("g", member: bId)
        #expect(h.joinResult(again)?.generationId == 1 && h.joinResult(again)?.leaderId == aId)
        #expect(h.describe("g").state == "CompletingRebalance")
        h.sync("g", member: aId, generation: 1, assignments: [:])
        #expect(h.describe("g").state == "Stable")
        let stableAgain = h.join("g", member: bId)
        #expect(h.joinResult(stableAgain)?.generationId == 1 && h.joinResult(stableAgain)?.members == [])
        #expect(h.describe("g").state == "Stable")
    }

    @Test func cooperativeRebalancesPassOwnedPartitionsThrough() throws {
        // cooperative-sticky: members rejoin with their owned partitions in the metadata; the
        // coordinator only runs more rounds, passing bytes through.
        var h = GroupHarness()
        let owned: (String) -> GroupProtocol = { .consumer("cooperative-sticky", ["t"], userData: $0) }
        let (a, aId) = h.joinNewMember("g", protocols: [owned("none")])
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.protocolName == "cooperative-sticky")
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("t0,t1")])
        let (b, bId) = h.joinNewMember("g", protocols: [owned("none")])
        let a2 = h.join("g", member: aId, protocols: [owned("t0,t1")])
        let ra = try #require(h.joinResult(a2))
        #expect(ra.generationId == 2)
        #expect(ra.members.first(where: { $0.memberId == aId })?.metadata == owned("t0,t1").metadata)
        #expect(h.joinResult(b)?.generationId == 2)
        // First round: A keeps t0 and gives up t1 (nothing assigned to B yet) ...
        h.sync("g", member: aId, generation: 2, assignments: [aId: .text("t0"), bId: ByteBuffer()])
        h.sync("g", member: bId, generation: 2)
        // ... then rejoins, which starts the second round that hands t1 to B.
        let a3 = h.join("g", member: aId, protocols: [owned("t0")])
        let b3 = h.join("g", member: bId, protocols: [owned("none")])
        #expect(h.joinResult(a3)?.generationId == 3 && h.joinResult(b3)?.generationId == 3)
        let s3 = h.sync("g", member: bId, generation: 3)
        h.sync("g", member: aId, generation: 3, assignments: [aId: .text("t0"), bId: .text("t1")])
        #expect(h.syncResult(s3)?.assignment == .text("t1"))
        #expect(h.unanswered.isEmpty)
    }
}
