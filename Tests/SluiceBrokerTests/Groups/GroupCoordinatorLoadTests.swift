import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Partition ownership: loading groups from `__consumer_offsets` when becoming leader, answering
/// while loading, and giving groups up.
@Suite struct GroupCoordinatorLoadTests {
    let t0 = TopicPartition("t", 0)

    @Test func groupsOfPartitionsLedElsewhereGetNotCoordinator() throws {
        var h = GroupHarness(leading: [0])
        let group = (0..<100).map { "g\($0)" }.first { h.state.partition(for: $0) != 0 }!
        let join = h.join(group)
        #expect(h.joinResult(join)?.error == .notCoordinator)
        let commit = h.commit(group, [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(commit)?[t0] == .notCoordinator)
        #expect(h.fetch(group, [t0]).error == .notCoordinator)
        #expect(h.describe(group).error == .notCoordinator)
        #expect(h.deleteGroup(group) == .notCoordinator)
        #expect(h.heartbeat(group, member: "m", generation: 1) == .notCoordinator)
    }

    @Test func whileLoadingRequestsAreToldToWaitExceptHeartbeatsAndSyncs() throws {
        var h = GroupHarness(leading: [])
        h.holdLoads = true
        for p in 0..<h.state.config.offsetsTopicPartitions {
            h.send(.becameLeader(partition: p))
        }
        #expect(h.heldLoads.count == 4)
        let join = h.join("g")
        #expect(h.joinResult(join)?.error == .coordinatorLoadInProgress)
        let commit = h.commit("g", [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(commit)?[t0] == .coordinatorLoadInProgress)
        #expect(h.fetch("g", [t0]).error == .coordinatorLoadInProgress)
        #expect(h.state.listGroups().0 == .coordinatorLoadInProgress)
        #expect(h.heartbeat("g", member: "m", generation: 1) == .noError)
        let sync = h.sync("g", member: "m", generation: 1)
        #expect(h.syncResult(sync)?.error == .rebalanceInProgress)
        h.completeHeldLoads()
        #expect(h.state.listGroups().0 == .noError)
        let again = h.join("g")
        #expect(h.joinResult(again)?.error == .memberIdRequired)
    }

    @Test func aReloadedCoordinatorKnowsItsGroupsAndOffsets() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        let (_, bId) = h.joinNewMember("g")
        h.advance(by: 6_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("A"), bId: .text("B")])
        h.sync("g", member: bId, generation: 1)
        h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(t0, offset: 17, leaderEpoch: 2, metadata: "m")])
        h.commit("solo", [OffsetCommitEntry(t0, offset: 3)])
        h.commit("gone", [OffsetCommitEntry(t0, offset: 3)])
        #expect(h.deleteGroup("gone") == .noError)
        let before = h.describe("g")

        h.reload()
        let after = h.describe("g")
        #expect(after == before)
        #expect(after.state == "Stable" && after.members.map(\.assignment) == [.text("A"), .text("B")])
        #expect(h.fetch("g", [t0]).offsets.first?.1 == CommittedOffset(offset: 17, leaderEpoch: 2, metadata: "m"))
        #expect(h.fetch("solo", [t0]).offsets.first?.1.offset == 3)
        #expect(h.describe("gone").state == "Dead")
        // Members carry on as if nothing happened.
        #expect(h.heartbeat("g", member: aId, generation: 1) == .noError)
        let sync = h.sync("g", member: bId, generation: 1)
        #expect(h.syncResult(sync)?.assignment == .text("B"))
        // Members that stopped while the coordinator was away are expired after their session.
        for _ in 0..<4 {
            h.advance(by: 3_000)
            _ = h.heartbeat("g", member: aId, generation: 1)
        }
        #expect(h.describe("g").members.map(\.memberId) == [aId])
    }

    @Test func aReloadedEmptyGroupKeepsItsGenerationAndProtocolType() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        _ = h.leave("g", [LeavingMember(memberId: aId)])
        h.reload()
        let d = h.describe("g")
        #expect(d.state == "Empty" && d.protocolType == "consumer")
        let (again, _) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(again)?.generationId == 3)
    }

    @Test func givingUpAPartitionAnswersEverythingStillWaiting() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        let (b, _) = h.joinNewMember("g")   // waiting in the join phase
        h.completeAppends = false
        let sync = h.sync("g", member: aId, generation: 1)  // rebalance in progress: answered now
        let commit = h.commit("other", [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(commit) == nil)
        let p = h.state.partition(for: "g")
        h.send(.resigned(partition: p))
        if h.state.partition(for: "other") != p { h.send(.resigned(partition: h.state.partition(for: "other"))) }
        #expect(h.joinResult(b)?.error == .notCoordinator)
        #expect(h.syncResult(sync) != nil)
        #expect(h.commitResult(commit)?[t0] == .notCoordinator)
        #expect(h.unanswered.isEmpty)
        #expect(!h.timers.keys.contains { $0.partition == p })
        // A late completion of an append from the old leadership changes nothing.
        h.send(.becameLeader(partition: p))
        h.completeHeldAppends()
        #expect(h.unanswered.isEmpty)
        // Generation 1 never got its assignment written, so the reloaded coordinator has no group.
        #expect(h.describe("g").state == "Dead")
    }

    @Test func aFailedLoadMakesTheCoordinatorUnavailableUntilItLeadsAgain() throws {
        var h = GroupHarness(leading: [])
        h.holdLoads = true
        let p = h.state.partition(for: "g")
        h.send(.becameLeader(partition: p))
        let (_, id) = h.heldLoads.removeFirst()
        h.send(.loadFailed(partition: p, id))
        let join = h.join("g")
        #expect(h.joinResult(join)?.error == .coordinatorNotAvailable)
        h.send(.becameLeader(partition: p))
        h.completeHeldLoads()
        #expect(h.state.status(of: "g") == .noError)
    }

    @Test func describeAndListShowKafkasView() throws {
        var h = GroupHarness()
        let protocols: [GroupProtocol] = [.range(["t"])]
        let (a, aId) = h.joinNewMember("g", protocols: protocols)
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        var d = h.describe("g")
        #expect(d.state == "CompletingRebalance" && d.protocolName == "" && d.members.first?.metadata == ByteBuffer())
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("assigned")])
        d = h.describe("g")
        #expect(d.state == "Stable" && d.protocolType == "consumer" && d.protocolName == "range")
        #expect(d.members == [DescribedMember(memberId: aId, groupInstanceId: nil, clientId: "client",
                                              clientHost: "/127.0.0.1", metadata: protocols[0].metadata,
                                              assignment: .text("assigned"))])
        h.commit("solo", [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.state.listGroups().1.map(\.groupId) == ["g", "solo"])
        #expect(h.state.listGroups(states: ["stable"]).1.map(\.groupId) == ["g"])
        #expect(h.state.listGroups(states: ["Empty"]).1.map(\.groupId) == ["solo"])
        #expect(h.state.listGroups(types: ["consumer"]).1.isEmpty)
        #expect(h.state.listGroups(types: ["classic"]).1.count == 2)
        #expect(h.describe("nope") == GroupDescription(groupId: "nope", error: .noError, state: "Dead",
                                                       protocolType: "", protocolName: "", members: []))
    }
}
