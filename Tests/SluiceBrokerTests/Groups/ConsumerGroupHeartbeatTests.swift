import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// KIP-848 consumer groups in the coordinator's state machine, with simulated time: joins,
/// revocation before reassignment, member epochs, leaves, session and revocation timeouts.
@Suite struct ConsumerGroupHeartbeatTests {
    static var config: GroupCoordinatorConfig {
        var c = GroupCoordinatorConfig.testing
        c.consumerSessionTimeoutMs = 10_000
        c.consumerHeartbeatIntervalMs = 1_000
        return c
    }

    func harness(topics: [String: Int32] = ["t": 6]) -> GroupHarness {
        var h = GroupHarness(config: Self.config)
        h.setTopics(topics)
        return h
    }

    /// Each partition held by one member at most (holdings include partitions being revoked).
    func expectNoPartitionTwice(_ h: GroupHarness, _ group: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let held = h.describeConsumer(group).members.flatMap { $0.assignment.sortedPairs.map { "\($0.0)-\($0.1)" } }
        #expect(Set(held).count == held.count, "a partition held twice: \(held)", sourceLocation: sourceLocation)
    }

    @Test func theFirstMemberGetsEveryPartition() throws {
        var h = harness()
        let r = try req(h.consumerJoin("g", member: "m1"))
        #expect(r.error == .noError && r.memberId == "m1" && r.memberEpoch == 1 && r.heartbeatIntervalMs == 1_000)
        #expect(r.assignment?.partitions("t") == [0, 1, 2, 3, 4, 5])
        let d = h.describeConsumer("g")
        #expect(d.state == "Stable" && d.groupEpoch == 1 && d.assignmentEpoch == 1 && d.assignorName == "uniform")
        #expect(d.members.map(\.memberId) == ["m1"] && d.members[0].clientId == "client-m1")
        // Kafka's records, in its order: member, subscribed topics, epoch, target, target epoch, current.
        let kinds = h.records(of: "g").compactMap { record -> Int16? in
            guard case let .consumerGroup(r) = record else { return nil }
            return r.keyVersion
        }
        #expect(kinds == [5, 4, 3, 7, 6, 8])
        // A heartbeat that changes nothing: same epoch, no assignment, nothing written.
        let written = h.log.values.reduce(0) { $0 + $1.count }
        let beat = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: nil))
        #expect(beat.error == .noError && beat.memberEpoch == 1 && beat.assignment == nil)
        #expect(h.log.values.reduce(0) { $0 + $1.count } == written)
    }

    @Test func partitionsAreRevokedBeforeTheyAreReassigned() throws {
        var h = harness()
        let all = TopicPartitionSet.of("t", [0, 1, 2, 3, 4, 5])
        #expect(h.consumerJoin("g", member: "m1")?.memberEpoch == 1)

        // m2 joins: its partitions are still m1's, so it gets none yet (epoch 2 all the same).
        let j2 = try req(h.consumerJoin("g", member: "m2"))
        #expect(j2.memberEpoch == 2 && j2.assignment == .empty)
        #expect(h.describeConsumer("g").state == "Reconciling")
        expectNoPartitionTwice(h, "g")

        // m1 learns it must give up three: it stays at epoch 1 while it revokes.
        let b1 = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: all))
        #expect(b1.memberEpoch == 1 && b1.assignment?.count == 3)
        let kept = b1.assignment!
        #expect(h.consumerBeat("g", member: "m2", epoch: 2, owned: .empty)?.assignment == nil, "still held by m1")
        expectNoPartitionTwice(h, "g")

        // m1 shows it no longer holds them: epoch 2. Then m2 gets them.
        let b2 = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: kept))
        #expect(b2.memberEpoch == 2 && b2.assignment == nil)
        let got = try req(h.consumerBeat("g", member: "m2", epoch: 2, owned: .empty))
        #expect(got.memberEpoch == 2 && got.assignment == all.subtracting(kept))
        expectNoPartitionTwice(h, "g")
        let d = h.describeConsumer("g")
        #expect(d.state == "Stable" && d.members.allSatisfy { $0.memberEpoch == 2 && $0.assignment == $0.targetAssignment })
    }

    @Test func memberEpochsAreChecked() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        #expect(h.consumerBeat("g", member: "m1", epoch: 5, owned: nil)?.error == .fencedMemberEpoch)
        #expect(h.consumerBeat("g", member: "nobody", epoch: 1, owned: nil)?.error == .unknownMemberId)
        _ = h.consumerJoin("g", member: "m2")
        let all = TopicPartitionSet.of("t", [0, 1, 2, 3, 4, 5])
        let kept = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: all)?.assignment)
        #expect(h.consumerBeat("g", member: "m1", epoch: 1, owned: kept)?.memberEpoch == 2)
        // The answer with epoch 2 was lost: epoch 1 is accepted with no more than it holds...
        #expect(h.consumerBeat("g", member: "m1", epoch: 1, owned: kept)?.error == .noError)
        // ...but not with more, nor any older epoch.
        #expect(h.consumerBeat("g", member: "m1", epoch: 1, owned: all)?.error == .fencedMemberEpoch)
        #expect(h.consumerBeat("g", member: "m1", epoch: 0, owned: .empty)?.error == .invalidRequest,
                "epoch 0 is a join, which needs its subscription")
        // A fenced member rejoins with epoch 0 and the same id (KIP-848).
        let rejoin = try req(h.consumerJoin("g", member: "m1"))
        #expect(rejoin.error == .noError && rejoin.memberEpoch == 2 && rejoin.assignment == kept)
    }

    @Test func aLeavingMemberFreesItsPartitions() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        _ = h.consumerJoin("g", member: "m2")
        let all = TopicPartitionSet.of("t", [0, 1, 2, 3, 4, 5])
        let kept = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: all)?.assignment)
        _ = h.consumerBeat("g", member: "m1", epoch: 1, owned: kept)
        _ = h.consumerBeat("g", member: "m2", epoch: 2, owned: .empty)

        let left = try req(h.consumerLeave("g", member: "m2"))
        #expect(left.error == .noError && left.memberEpoch == -1 && left.memberId == "m2")
        #expect(h.describeConsumer("g").state == "Assigning" && h.describeConsumer("g").groupEpoch == 3)
        let back = try req(h.consumerBeat("g", member: "m1", epoch: 2, owned: kept))
        #expect(back.memberEpoch == 3 && back.assignment == all)
        #expect(h.consumerLeave("g", member: "m2")?.error == .unknownMemberId)
        #expect(h.consumerLeave("other", member: "m2")?.error == .groupIdNotFound)
    }

    @Test func aSilentMemberIsRemovedAfterTheSessionTimeout() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        _ = h.consumerJoin("g", member: "m2")
        // m1 heartbeats every second; m2 goes silent.
        var owned = TopicPartitionSet.of("t", [0, 1, 2, 3, 4, 5])
        var epoch: Int32 = 1
        for _ in 0..<12 {
            h.advance(by: 1_000)
            let r = try req(h.consumerBeat("g", member: "m1", epoch: epoch, owned: owned))
            #expect(r.error == .noError)
            epoch = r.memberEpoch
            if let a = r.assignment { owned = a }
        }
        #expect(h.describeConsumer("g").members.map(\.memberId) == ["m1"])
        #expect(owned.count == 6, "m1 has every partition again")
    }

    @Test func aMemberThatNeverRevokesIsRemovedAfterItsRebalanceTimeout() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        _ = h.consumerJoin("g", member: "m2")
        let all = TopicPartitionSet.of("t", [0, 1, 2, 3, 4, 5])
        _ = h.consumerBeat("g", member: "m1", epoch: 1, owned: all)
        // m1 keeps heartbeating but keeps holding everything; m2 keeps heartbeating too, and
        // gets nothing until m1 is removed, 30 s (its rebalance timeout) after it was told.
        let told = h.now
        var m1Error = ErrorCode.noError
        var m2Got: TopicPartitionSet?
        while m1Error == .noError && h.now < told + 60_000 {
            h.advance(by: 1_000)
            m1Error = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: all)).error
            let r2 = try req(h.consumerBeat("g", member: "m2", epoch: 2, owned: .empty))
            if let a = r2.assignment { m2Got = a }
        }
        #expect(m1Error == .unknownMemberId && h.now >= told + 30_000 && h.now <= told + 31_000)
        #expect(m2Got == all)
    }

    @Test func commitsAndFetchesCheckMemberEpochs() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        let tp = TopicPartition("t", 0)
        func commit(_ member: String, _ epoch: Int32, version: Int16 = 9) -> ErrorCode? {
            let id = h.request()
            h.send(.commit(id, OffsetCommitInput(groupId: "g", generationId: epoch, memberId: member,
                                                 offsets: [OffsetCommitEntry(tp, offset: 5)], apiVersion: version)))
            return h.commitResult(id)?[tp]
        }
        #expect(commit("m1", 1) == .noError)
        #expect(commit("m1", 0) == .staleMemberEpoch)
        #expect(commit("m1", 2) == .fencedMemberEpoch)
        #expect(commit("nobody", 1) == .unknownMemberId)
        #expect(commit("", -1) == .unknownMemberId, "admin commits only to an empty group")
        #expect(commit("m1", 1, version: 8) == .unsupportedVersion)

        #expect(h.state.fetchOffsets(groupId: "g", partitions: [tp], member: ("m1", 1))[tp]?.offset == 5)
        #expect(h.state.fetchOffsets(groupId: "g", partitions: [tp], member: ("m1", 0)).error == .staleMemberEpoch)
        #expect(h.state.fetchOffsets(groupId: "g", partitions: [tp], member: ("x", 1)).error == .unknownMemberId)
        #expect(h.state.fetchOffsets(groupId: "g", partitions: [tp], member: (nil, -1))[tp]?.offset == 5)

        _ = h.consumerLeave("g", member: "m1")
        #expect(commit("", -1) == .noError, "the group is empty")
    }

    @Test func invalidHeartbeatsAreRefusedAsKafkaRefusesThem() {
        var h = harness()
        func beat(_ input: ConsumerGroupHeartbeatInput) -> ConsumerGroupHeartbeatResult? {
            let id = h.consumerHeartbeat(input)
            return h.consumerResult(id)
        }
        let join = ConsumerGroupHeartbeatInput(groupId: "g", memberId: "m", memberEpoch: 0, rebalanceTimeoutMs: 1000,
                                               subscribedTopicNames: ["t"], ownedPartitions: .empty)
        var noGroup = join
        noGroup.groupId = ""
        #expect(beat(noGroup)?.error == .invalidGroupId)
        var noTimeout = join
        noTimeout.rebalanceTimeoutMs = -1
        #expect(beat(noTimeout)?.error == .invalidRequest)
        var owning = join
        owning.ownedPartitions = .of("t", [1])
        #expect(beat(owning)?.error == .invalidRequest)
        var nothing = join
        nothing.subscribedTopicNames = []
        #expect(beat(nothing)?.error == .invalidRequest)
        var badEpoch = join
        badEpoch.memberEpoch = -3
        #expect(beat(badEpoch)?.error == .invalidRequest)
        var assignor = join
        assignor.serverAssignor = "sticky"
        #expect(beat(assignor)?.error == .unsupportedAssignor)
        var regex = join
        regex.subscribedTopicRegex = "(unclosed"
        #expect(beat(regex)?.error == .invalidRegularExpression)
        #expect(h.describeConsumer("g").error == .groupIdNotFound, "nothing was created")
    }

    @Test func theAssignorMembersAskFor() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1", assignor: "range")
        _ = h.consumerJoin("g", member: "m2", assignor: "range")
        #expect(h.describeConsumer("g").assignorName == "range")
        #expect(h.describeConsumer("g").members.map { $0.targetAssignment.partitions("t") } == [[0, 1, 2], [3, 4, 5]])
    }

    @Test func regexSubscriptionsFollowNewTopics() throws {
        var h = harness(topics: ["t1": 2, "t2": 2, "u": 2])
        let r = try req(h.consumerJoin("g", member: "m1", topics: [], regex: "(^t.*)"))
        #expect(r.assignment?.partitions("t1") == [0, 1] && r.assignment?.partitions("t2") == [0, 1])
        #expect(r.assignment?.partitions("u") == [])
        h.setTopics(["t1": 2, "t2": 2, "u": 2, "t3": 1])
        let next = try req(h.consumerBeat("g", member: "m1", epoch: r.memberEpoch, owned: r.assignment))
        #expect(next.memberEpoch == r.memberEpoch + 1 && next.assignment?.partitions("t3") == [0])
    }

    @Test func morePartitionsBumpTheGroupEpoch() throws {
        var h = harness(topics: ["t": 2])
        let r = try req(h.consumerJoin("g", member: "m1"))
        h.setTopics(["t": 4])
        let next = try req(h.consumerBeat("g", member: "m1", epoch: r.memberEpoch, owned: r.assignment))
        #expect(next.memberEpoch == 2 && next.assignment?.partitions("t") == [0, 1, 2, 3])
    }

    @Test func theAnswerWaitsUntilTheRecordsAreWritten() throws {
        var h = harness()
        h.completeAppends = false
        let id = h.consumerHeartbeat(ConsumerGroupHeartbeatInput(
            groupId: "g", memberId: "m1", memberEpoch: 0, rebalanceTimeoutMs: 1000, subscribedTopicNames: ["t"],
            ownedPartitions: .empty))
        #expect(h.consumerResult(id) == nil)
        h.completeAppends = true
        h.completeHeldAppends()
        #expect(h.consumerResult(id)?.memberEpoch == 1)

        // A failed write answers with a retriable error; the next write carries the whole group.
        h.appendError = .notEnoughReplicas
        _ = h.consumerJoin("g", member: "m2")
        h.appendError = nil
        #expect(h.consumerBeat("g", member: "m1", epoch: 1, owned: .of("t", [0, 1, 2, 3, 4, 5]))?.error == .noError)
        h.reload()
        #expect(h.describeConsumer("g").members.map(\.memberId) == ["m1", "m2"], "the failed join is in the log after all")
    }

    @Test func aReloadedGroupGoesOnFromItsRecords() throws {
        var h = harness()
        _ = h.consumerJoin("g", member: "m1")
        _ = h.consumerJoin("g", member: "m2")
        let all = TopicPartitionSet.of("t", [0, 1, 2, 3, 4, 5])
        let kept = try req(h.consumerBeat("g", member: "m1", epoch: 1, owned: all)?.assignment)
        let before = h.describeConsumer("g")
        h.reload()
        #expect(h.describeConsumer("g") == before, "epochs, states and assignments come back as they were")
        // The revocation goes on where it was.
        #expect(h.consumerBeat("g", member: "m1", epoch: 1, owned: kept)?.memberEpoch == 2)
        #expect(h.consumerBeat("g", member: "m2", epoch: 2, owned: .empty)?.assignment == all.subtracting(kept))
        expectNoPartitionTwice(h, "g")
    }

    @Test func aStaticMemberThatLeavesForAWhileKeepsItsPartitions() throws {
        var h = harness()
        let r = try req(h.consumerJoin("g", member: "a1", instance: "i1"))
        #expect(h.consumerJoin("g", member: "a2", instance: "i1")?.error == .unreleasedInstanceId)
        let left = try req(h.consumerLeave("g", member: "a1", epoch: -2, instance: "i1"))
        #expect(left.memberEpoch == -2)
        // A new incarnation takes its place and its partitions.
        let back = try req(h.consumerJoin("g", member: "a2", instance: "i1"))
        #expect(back.error == .noError && back.assignment == r.assignment)
        #expect(h.consumerBeat("g", member: "a1", epoch: 1, owned: nil, instance: "i1")?.error == .fencedInstanceId)
        #expect(h.describeConsumer("g").members.map(\.memberId) == ["a2"])
    }
}
