import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage
import Testing

@testable import SluiceBroker

/// Committed offsets: commit, fetch, delete, expire, and what lands in `__consumer_offsets`.
@Suite struct GroupOffsetTests {
    let t0 = TopicPartition("t", 0)
    let t1 = TopicPartition("t", 1)
    let u0 = TopicPartition("u", 0)

    @Test func standaloneConsumersCommitToUnknownGroupsAndFetchTheirOffsets() throws {
        var h = GroupHarness()
        let c = h.commit("solo", [OffsetCommitEntry(t0, offset: 42, leaderEpoch: 3, metadata: "ünïcode meta"),
                                  OffsetCommitEntry(t1, offset: 7, metadata: nil)])
        #expect(h.commitResult(c) == PartitionErrors([t0: .noError, t1: .noError]))
        let fetched = h.fetch("solo", [t0, t1, u0])
        #expect(fetched.error == .noError)
        #expect(fetched[t0] == CommittedOffset(offset: 42, leaderEpoch: 3, metadata: "ünïcode meta"))
        #expect(fetched[t1] == CommittedOffset(offset: 7, leaderEpoch: -1, metadata: ""))
        #expect(fetched[u0] == CommittedOffset.none, "no offset: -1 and no error")
        #expect(h.fetch("solo").offsets.map(\.0) == [t0, t1], "all partitions, sorted")
        #expect(h.fetch("unknown", [t0]) == OffsetFetchResult(error: .noError, offsets: [(t0, .none)]))
        #expect(h.fetch("unknown").offsets.isEmpty)
        let listed = h.state.listGroups().1
        #expect(listed == [GroupListing(groupId: "solo", protocolType: "", state: "Empty", type: "classic")])

        // The commit is in the log in Kafka's format.
        let records = h.records(of: "solo")
        #expect(records.contains(.offsetCommit(OffsetCommitKey(group: "solo", topic: "t", partition: 0),
                                               OffsetCommitValue(offset: 42, leaderEpoch: 3, metadata: "ünïcode meta",
                                                                 commitTimestamp: h.now))))
        // An empty group id is valid for commits (as in Kafka).
        let empty = h.commit("", [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(empty) == PartitionErrors([t0: .noError]))
    }

    @Test func onlyMembersCommitToAnActiveGroup() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [aId: .text("x")])
        var c = h.commit("g", [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(c)?[t0] == .unknownMemberId)
        c = h.commit("g", member: "ghost", generation: 1, [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(c)?[t0] == .unknownMemberId)
        c = h.commit("g", member: aId, generation: 0, [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(c)?[t0] == .illegalGeneration)
        c = h.commit("nogroup", member: aId, generation: 3, [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.commitResult(c)?[t0] == .illegalGeneration)
        c = h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(t0, offset: 10, metadata: "m"),
                                                      OffsetCommitEntry(t1, offset: 11, metadata: String(repeating: "x", count: 4_097))])
        #expect(h.commitResult(c) == PartitionErrors([t0: .noError, t1: .offsetMetadataTooLarge]))
        #expect(h.fetch("g", [t0, t1]).offsets.map(\.1.offset) == [10, -1])
        // Once the group is empty again, anyone may commit.
        _ = h.leave("g", [LeavingMember(memberId: aId)])
        c = h.commit("g", [OffsetCommitEntry(t0, offset: 20)])
        #expect(h.commitResult(c)?[t0] == .noError)
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == 20)
    }

    @Test func commitsAreAnsweredOnlyOnceWrittenAndFailuresAreTranslated() throws {
        var h = GroupHarness()
        h.completeAppends = false
        let c = h.commit("g", [OffsetCommitEntry(t0, offset: 5)])
        #expect(h.commitResult(c) == nil)
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == -1, "not visible before it is written")
        h.completeHeldAppends()
        #expect(h.commitResult(c)?[t0] == .noError)
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == 5)

        h.completeAppends = true
        h.appendError = .notLeaderOrFollower
        var failed = h.commit("g", [OffsetCommitEntry(t0, offset: 6)])
        #expect(h.commitResult(failed)?[t0] == .notCoordinator)
        h.appendError = .messageTooLarge
        failed = h.commit("g", [OffsetCommitEntry(t0, offset: 6)])
        #expect(h.commitResult(failed)?[t0] == .invalidCommitOffsetSize)
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == 5)
    }

    @Test func aRetentionTimeIsWrittenAsValueVersion1() throws {
        var h = GroupHarness()
        h.commit("g", [OffsetCommitEntry(t0, offset: 5)], retention: 60_000)
        guard case let .offsetCommit(_, value?) = h.records(of: "g").last else {
            Issue.record("no commit record")
            return
        }
        #expect(value.expireTimestamp == h.now + 60_000 && value.writtenVersion == 1)
        h.advance(by: 600_000)  // the retention check
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == -1, "expired at its own expire timestamp")
    }

    @Test func deletingAGroupRequiresItToBeEmptyAndTombstonesEverything() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [:])
        h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(t0, offset: 1)])
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == 1)
        #expect(h.deleteGroup("g") == .nonEmptyGroup)
        #expect(h.deleteGroup("nogroup") == .groupIdNotFound)
        _ = h.leave("g", [LeavingMember(memberId: aId)])
        #expect(h.deleteGroup("g") == .noError)
        #expect(h.describe("g").state == "Dead")
        #expect(h.fetch("g", [t0]).offsets.first?.1 == CommittedOffset.none)
        #expect(Array(h.records(of: "g").suffix(2)) == [
            .offsetCommit(OffsetCommitKey(group: "g", topic: "t", partition: 0), nil),
            .groupMetadata(GroupMetadataKey(group: "g"), nil),
        ])
    }

    @Test func aCommitStillBeingWrittenWhenItsGroupIsDeletedIsNotResurrected() throws {
        var h = GroupHarness()
        h.completeAppends = false
        let c = h.commit("g", [OffsetCommitEntry(t0, offset: 1)])
        let d = h.request()
        h.send(.deleteGroup(d, groupId: "g"))
        h.completeHeldAppends()
        #expect(h.commitResult(c)?[t0] == .noError)
        #expect(h.responses[d] == .deleteGroup(.noError))
        #expect(h.fetch("g", [t0]).offsets.first?.1 == CommittedOffset.none)
        // The log agrees: the deletion's tombstone comes after the commit.
        var reloaded = h
        reloaded.send(.resigned(partition: h.state.partition(for: "g")))
        reloaded.send(.becameLeader(partition: h.state.partition(for: "g")))
        #expect(reloaded.fetch("g", [t0]).offsets.first?.1 == CommittedOffset.none)
    }

    @Test func offsetDeleteRefusesTopicsTheGroupConsumes() throws {
        var h = GroupHarness()
        let (a, aId) = h.joinNewMember("g", protocols: [.range(["t"])])
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [:])
        h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(t0, offset: 1), OffsetCommitEntry(u0, offset: 2)])
        let result = h.deleteOffsets("g", [t0, u0])
        #expect(result == OffsetDeleteResult(error: .noError, partitions: [t0: .groupSubscribedToTopic, u0: .noError]))
        #expect(h.fetch("g", [t0, u0]).offsets.map(\.1.offset) == [1, -1])
        #expect(h.deleteOffsets("nogroup", [t0]) == OffsetDeleteResult(error: .groupIdNotFound))
        _ = h.leave("g", [LeavingMember(memberId: aId)])
        #expect(h.deleteOffsets("g", [t0]) == OffsetDeleteResult(error: .noError, partitions: [t0: .noError]))
        #expect(h.fetch("g").offsets.isEmpty)
    }

    @Test func offsetsOfEmptyGroupsExpireAfterTheRetentionAndTheGroupGoesAway() throws {
        var config = GroupCoordinatorConfig.testing
        config.offsetsRetentionMinutes = 10
        config.offsetsRetentionCheckIntervalMs = 60_000
        var h = GroupHarness(config: config)
        let (a, aId) = h.joinNewMember("g")
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [:])
        h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(t0, offset: 9)])
        // A consumer of a stable group keeps its offsets however old they are.
        for _ in 0..<(15 * 60 / 3) {
            h.advance(by: 3_000)
            _ = h.heartbeat("g", member: aId, generation: 1)
        }
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == 9)
        _ = h.leave("g", [LeavingMember(memberId: aId)])
        h.advance(by: 9 * 60_000)
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == 9, "retention counts from when the group emptied")
        h.advance(by: 2 * 60_000)
        #expect(h.fetch("g", [t0]).offsets.first?.1.offset == -1)
        #expect(h.describe("g").state == "Dead")
        #expect(h.records(of: "g").suffix(2) == [
            .offsetCommit(OffsetCommitKey(group: "g", topic: "t", partition: 0), nil),
            .groupMetadata(GroupMetadataKey(group: "g"), nil),
        ])
    }

    @Test func standaloneOffsetsExpireFromTheirCommitAndStableGroupsLoseOnlyUnsubscribedTopics() throws {
        var config = GroupCoordinatorConfig.testing
        config.offsetsRetentionMinutes = 10
        config.offsetsRetentionCheckIntervalMs = 60_000
        var h = GroupHarness(config: config)
        h.commit("solo", [OffsetCommitEntry(t0, offset: 1)])
        h.advance(by: 5 * 60_000)
        h.commit("solo", [OffsetCommitEntry(t1, offset: 2)])
        h.advance(by: 6 * 60_000)
        #expect(h.fetch("solo", [t0, t1]).offsets.map(\.1.offset) == [-1, 2])

        let (a, aId) = h.joinNewMember("g", protocols: [.range(["t"])], session: 30_000)
        h.advance(by: 3_000)
        #expect(h.joinResult(a)?.generationId == 1)
        h.sync("g", member: aId, generation: 1, assignments: [:])
        h.commit("g", member: aId, generation: 1, [OffsetCommitEntry(t0, offset: 5), OffsetCommitEntry(u0, offset: 6)])
        for _ in 0..<(11 * 60 / 10) {
            h.advance(by: 10_000)
            _ = h.heartbeat("g", member: aId, generation: 1)
        }
        #expect(h.fetch("g", [t0, u0]).offsets.map(\.1.offset) == [5, -1], "u is not subscribed: its offset expires")
    }
}
