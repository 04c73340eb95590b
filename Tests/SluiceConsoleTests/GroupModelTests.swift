import SluiceBase
import Testing
@testable import SluiceConsole

/// Consumer groups in the model: consumption rates from commits that come in steps, and groups a
/// poll could not see (a coordinator loading its groups after a broker start) kept, not lost.
@Suite struct GroupModelTests {
    static let key = TopicPartition("t", 0)

    func observation(at t: Double, hw: Int64, groups: [ObservedGroup], unlisted: String? = nil) -> ClusterObservation {
        ClusterObservation(
            takenAt: 1000 + t, monotonic: t, clusterID: "c", controllerID: 1,
            brokers: [ObservedBroker(id: 1, host: "h", port: 9001)],
            topics: [ObservedTopic(name: "t", partitions: [ObservedPartition(partition: 0, leader: 1, replicas: [1], isr: [1],
                                                                            highWatermark: hw, logStartOffset: 0)])],
            groups: groups, groupsUnlisted: unlisted)
    }

    func group(committed: Int64, members: [String] = ["m-1"], state: String = "Stable") -> ObservedGroup {
        ObservedGroup(id: "g", state: state, assignor: "range",
                      members: members.map { ObservedMember(memberID: $0, clientID: "c-\($0)", host: "/127.0.0.1",
                                                            assignment: [Self.key]) },
                      committed: [Self.key: committed])
    }

    /// A consumer that commits every 5 s (Kafka's default) while it reads 200 msg/s: polled every
    /// second, the group reads 200 msg/s throughout, not 0 four times and 1000 once.
    @Test func consumptionIsMeasuredOverTheCommitWindow() {
        var snapshot: ClusterSnapshot?
        var rates: [Double] = []
        for t in 0...15 {
            let committed = Int64(t / 5 * 1000)
            snapshot = SnapshotBuilder.build(observation(at: Double(t), hw: 5000, groups: [group(committed: committed)]),
                                             previous: snapshot)
            rates.append(snapshot!.groups[0].messagesPerSecond)
        }
        #expect(rates[0] == 0)
        #expect(rates[5...].allSatisfy { $0 == 200 }, "rates: \(rates)")
        #expect(snapshot!.totals.messagesOut == 200)
        #expect(snapshot!.groups[0].commitHistory.samples.count <= 7)
    }

    /// `sluice group reset-offsets --to-latest --execute` on a group with no member: its
    /// committed offset jumps by 2,600 between two polls. That is an event, not consumption: the
    /// group's rate and the header's "out" stay 0. A group whose members commit moves on as usual.
    @Test func anOffsetResetIsAnEventNotThroughput() {
        var snapshot: ClusterSnapshot?
        var events: [String] = []
        let idle = { (committed: Int64) in self.group(committed: committed, members: [], state: "Empty") }
        for (t, committed) in [(0, 400), (1, 400), (2, 3000), (3, 3000), (4, 3000)] {
            let next = SnapshotBuilder.build(observation(at: Double(t), hw: 3000, groups: [idle(Int64(committed))]),
                                             previous: snapshot)
            events += EventDeriver.events(from: snapshot, to: next).map(\.text)
            snapshot = next
            #expect(next.groups[0].messagesPerSecond == 0 && next.totals.messagesOut == 0, "at \(t) s: \(next.groups[0].messagesPerSecond)")
        }
        #expect(events.contains("Offsets of group g reset: +2600 on 1 partition: t-0"), "\(events)")
        // Backwards, even with members: a reset (or a seek), not negative consumption.
        let back = SnapshotBuilder.build(observation(at: 5, hw: 3000, groups: [group(committed: 1000)]), previous: snapshot)
        #expect(back.groups[0].offsetResets == [Self.key: -2000])
        #expect(EventDeriver.events(from: snapshot, to: back).map(\.text).contains("Offsets of group g reset: -2000 on 1 partition: t-0"))
        // Members consuming afterwards count as consumption again, from the new offset.
        let read = SnapshotBuilder.build(observation(at: 6, hw: 3000, groups: [group(committed: 1300)]), previous: back)
        // (300 committed in the 5 s window the rate is measured over.)
        #expect(read.groups[0].offsetResets.isEmpty && read.groups[0].messagesPerSecond == 60)
        // A group that never had members (protocol type ""): partitions assigned by the consumer
        // itself, which commits; that is consumption.
        let simple = { (c: Int64) in ObservedGroup(id: "s", state: "Empty", protocolType: "", committed: [Self.key: c]) }
        let s0 = SnapshotBuilder.build(observation(at: 0, hw: 3000, groups: [simple(100)]), previous: nil)
        let s1 = SnapshotBuilder.build(observation(at: 1, hw: 3000, groups: [simple(300)]), previous: s0)
        #expect(s1.groups[0].offsetResets.isEmpty && s1.groups[0].messagesPerSecond == 200)
    }

    @Test func groupsThatCouldNotBeListedAreKeptAndSaySo() {
        let a = SnapshotBuilder.build(observation(at: 0, hw: 100, groups: [group(committed: 40)]), previous: nil)
        #expect(a.groups[0].totalLag == 60)
        let b = SnapshotBuilder.build(observation(at: 1, hw: 150, groups: [], unlisted: GroupSnapshot.coordinatorLoading),
                                      previous: a)
        #expect(b.groups.map(\.id) == ["g"] && b.groups[0].stale == GroupSnapshot.coordinatorLoading)
        #expect(b.groups[0].totalLag == 60 && b.groups[0].members.count == 1, "the figures known before")
        #expect(b.groups[0].lagTrend == a.groups[0].lagTrend)
        #expect(EventDeriver.events(from: a, to: b).isEmpty, "a group that could not be listed is not gone")
        #expect(GroupsView.stateText(b.groups[0]) == "loading")

        let c = SnapshotBuilder.build(observation(at: 2, hw: 150, groups: [group(committed: 150)]), previous: b)
        #expect(c.groups[0].stale == nil && c.groups[0].totalLag == 0)
        #expect(c.groups[0].lagTrend.samples.map(\.value) == [60, 0])
        #expect(EventDeriver.events(from: b, to: c).isEmpty)
    }

    @Test func aGroupThatCouldNotBeDescribedKeepsItsMembers() {
        let a = SnapshotBuilder.build(observation(at: 0, hw: 100, groups: [group(committed: 40)]), previous: nil)
        let unanswered = ObservedGroup(id: "g", state: "Stable", unanswered: "timed out")
        let b = SnapshotBuilder.build(observation(at: 1, hw: 100, groups: [unanswered]), previous: a)
        #expect(b.groups[0].members == a.groups[0].members && b.groups[0].stale == "timed out")
        #expect(GroupsView.stateText(b.groups[0]) == "no answer")
        #expect(EventDeriver.events(from: a, to: b).isEmpty, "no rebalance is made up from a missing answer")
        // A real change of members afterwards is one.
        let c = SnapshotBuilder.build(observation(at: 2, hw: 100, groups: [group(committed: 40, members: ["m-1", "m-2"])]),
                                      previous: b)
        #expect(EventDeriver.events(from: b, to: c).map(\.text) == ["Group g rebalanced: 1 → 2 members"])
    }

    /// While its coordinator moves, a group can be missing from one listing: it is kept, marked
    /// stale, and only a second listing without it makes it gone.
    @Test func aGroupMissingFromOneListingIsNotGone() {
        let a = SnapshotBuilder.build(observation(at: 0, hw: 100, groups: [group(committed: 40)]), previous: nil)
        let b = SnapshotBuilder.build(observation(at: 1, hw: 100, groups: []), previous: a)
        #expect(b.groups.map(\.id) == ["g"] && b.groups[0].stale == GroupSnapshot.notListed && b.groups[0].totalLag == 60)
        #expect(EventDeriver.events(from: a, to: b).isEmpty)
        let c = SnapshotBuilder.build(observation(at: 2, hw: 100, groups: [group(committed: 40)]), previous: b)
        #expect(c.groups[0].stale == nil && EventDeriver.events(from: b, to: c).isEmpty)
        let d = SnapshotBuilder.build(observation(at: 3, hw: 100, groups: []), previous: c)
        let e = SnapshotBuilder.build(observation(at: 4, hw: 100, groups: []), previous: d)
        #expect(EventDeriver.events(from: d, to: e).map(\.text) == ["Group g is gone"] && e.groups.isEmpty)
    }

    @Test func theGroupsViewSaysWhyItIsEmpty() {
        var state = AppState(mode: .remote(bootstrap: "h:9001"), width: 120, height: 40, themeNames: ["dark"],
                             themeName: "dark", refreshInterval: 1)
        state.snapshot = SnapshotBuilder.build(observation(at: 0, hw: 0, groups: [], unlisted: GroupSnapshot.coordinatorLoading),
                                               previous: nil)
        #expect(GroupsView.table(state).emptyMessage
                == "Groups could not be listed: the group coordinator is loading its groups (retrying)")
    }

    /// A KIP-848 consumer group mid-rebalance: the model tells the partitions being given up from
    /// those waiting for their new holder; the view counts them after the state; the event says
    /// how many move.
    @Test func aConsumerGroupsIncrementalRebalance() {
        let t0 = TopicPartition("t", 0), t1 = TopicPartition("t", 1), t2 = TopicPartition("t", 2)
        func consumerGroup(_ state: String, a: [TopicPartition], aTarget: [TopicPartition], b: [TopicPartition],
                           bTarget: [TopicPartition]) -> ObservedGroup {
            ObservedGroup(id: "g", state: state, type: "consumer", assignor: "uniform", members: [
                ObservedMember(memberID: "A", clientID: "a", host: "/h", assignment: a, memberEpoch: 3, target: aTarget),
                ObservedMember(memberID: "B", clientID: "b", host: "/h", assignment: b, memberEpoch: 4, target: bTarget),
            ], committed: [:], groupEpoch: 4, assignmentEpoch: 4)
        }
        let stable = SnapshotBuilder.build(observation(at: 0, hw: 10, groups: [
            consumerGroup("Stable", a: [t0, t1, t2], aTarget: [t0, t1, t2], b: [], bTarget: []),
        ]), previous: nil)
        let moving = SnapshotBuilder.build(observation(at: 1, hw: 10, groups: [
            consumerGroup("Reconciling", a: [t0, t1], aTarget: [t0], b: [], bTarget: [t1, t2]),
        ]), previous: stable)
        let g = moving.groups[0]
        #expect(g.type == "consumer" && g.isRebalancing)
        #expect(g.revoking == [t1] && g.assigning == [t2])
        #expect(g.offsets.first { $0.key == t1 }?.owner == "a" && g.offsets.first { $0.key == t1 }?.target == "b")
        #expect(GroupsView.stateText(g) == "Reconciling -1 +1")
        let events = EventDeriver.events(from: stable, to: moving)
        #expect(events.contains { $0.text == "Group g rebalancing: Stable → Reconciling, 2 members, 2 partitions moving" },
                "\(events.map(\.text))")
        #expect(!stable.groups[0].isRebalancing && stable.groups[0].revoking.isEmpty)
    }
}
