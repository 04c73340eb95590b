import SluiceRaft
import Testing

/// Targeted scenarios in the simulation's scenario language. Every step is still checked by
/// the invariant checker.
@Suite struct RaftScenarioTests {
    @Test func electsALeaderAndCommits() throws {
        let cluster = try SimCluster(seed: 11, voters: [1, 2, 3])
        try cluster.runUntil(timeout: 10_000, "a leader") { $0.hasStableLeader }
        let offset = try cluster.commit([1, 2, 3])
        #expect(cluster.nodes.allSatisfy { ($0.raft?.appliedOffset ?? 0) > offset })
    }

    @Test func preVoteDoesNotDisruptAStableLeader() throws {
        let cluster = try SimCluster(seed: 12, voters: [1, 2, 3])
        try cluster.runUntil(timeout: 10_000, "a leader") { $0.hasStableLeader }
        let leader = try #require(cluster.leaderStatus)
        let isolated: Int32 = leader.nodeID == 3 ? 2 : 3
        cluster.partition([isolated])
        try cluster.run(for: 20_000)
        // Cut off for ten election timeouts, the node kept polling without bumping its epoch.
        let cutOff = try #require(cluster.node(isolated).status)
        #expect(cutOff.role != .leader && cutOff.epoch == leader.epoch)
        cluster.heal()
        try cluster.runUntil(timeout: 10_000, "the isolated node following again") {
            $0.node(isolated).status?.role == .follower && $0.hasStableLeader
        }
        let after = try #require(cluster.leaderStatus)
        #expect(after.nodeID == leader.nodeID && after.epoch == leader.epoch)
        try cluster.commit([4])
    }

    @Test func aPartitionedOldLeaderStepsDown() throws {
        let cluster = try SimCluster(seed: 13, voters: [1, 2, 3])
        try cluster.runUntil(timeout: 10_000, "a leader") { $0.hasStableLeader }
        let old = try #require(cluster.leaderStatus)
        let others = [Int32(1), 2, 3].filter { $0 != old.nodeID }
        cluster.partition([old.nodeID], others)
        // Written on the wrong side of the partition: can never commit.
        let orphan = try cluster.node(old.nodeID).propose([0xDE, 0xAD])
        try cluster.runUntil(timeout: 10_000, "the old leader resigning and a new one elected") { cluster in
            cluster.node(old.nodeID).status?.role != .leader
                && others.contains { cluster.node($0).status?.role == .leader }
        }
        let fresh = try #require(others.compactMap { cluster.node($0).status }.first { $0.role == .leader })
        #expect(fresh.epoch > old.epoch)
        let stuck = try #require(cluster.node(old.nodeID).status)
        #expect(stuck.highWatermark <= orphan.offset)
        cluster.heal()
        try cluster.runUntil(timeout: 10_000, "the old leader following the new one") { $0.hasStableLeader }
        try cluster.commit([5])
        #expect(cluster.checker.committedEntry(at: orphan.offset)?.epoch != orphan.epoch)
    }

    @Test func gracefulResignationHandsOverFasterThanAFetchTimeout() throws {
        let cluster = try SimCluster(seed: 14, voters: [1, 2, 3])
        try cluster.runUntil(timeout: 10_000, "a leader") { $0.hasStableLeader }
        let old = try #require(cluster.leaderStatus)
        try cluster.commit([6])
        try cluster.node(old.nodeID).resign()
        let started = cluster.now
        try cluster.runUntil(timeout: 10_000, "a successor") { cluster in
            cluster.leaderStatus.map { $0.epoch > old.epoch } ?? false
        }
        // Without EndQuorumEpoch the followers would wait out their 2 s fetch timeout.
        #expect(cluster.now - started < 1_000)
    }

    @Test func aRestartedFollowerCatchesUpFromASnapshot() throws {
        var options = SimCluster.Options()
        options.snapshotEvery = 4
        options.snapshotChunkBytes = 16
        let cluster = try SimCluster(seed: 15, options: options)
        try cluster.runUntil(timeout: 10_000, "a leader") { $0.hasStableLeader }
        let leader = try #require(cluster.leader)
        let lagging: Int32 = leader == 1 ? 2 : 1
        cluster.node(lagging).crash()
        for value in 0..<30 { try cluster.commit([UInt8(value)]) }
        try cluster.node(lagging).restart()
        let target = try #require(cluster.node(leader).raft?.appliedOffset)
        try cluster.runUntil(timeout: 10_000, "the restarted node catching up") {
            ($0.node(lagging).raft?.appliedOffset ?? 0) >= target
        }
        #expect(cluster.stats.snapshotInstalls > 0)
        #expect((cluster.node(lagging).raft?.log.startOffset ?? 0) > 0)
    }

    @Test func anObserverFindsTheLeaderAndReplicates() throws {
        let cluster = try SimCluster(seed: 16, voters: [1, 2, 3], observers: [9])
        try cluster.runUntil(timeout: 10_000, "a leader followed by everyone, the observer included") { $0.hasStableLeader }
        let offset = try cluster.commit([7])
        let observer = try #require(cluster.node(9).raft)
        #expect(observer.role == .follower && observer.appliedOffset > offset)
    }

    @Test func aLeaderInTheMinorityCannotCommit() throws {
        let cluster = try SimCluster(seed: 17, voters: [1, 2, 3, 4, 5])
        try cluster.runUntil(timeout: 10_000, "a leader") { $0.hasStableLeader }
        let leader = try #require(cluster.leader)
        let follower = [Int32(1), 2, 3, 4, 5].first { $0 != leader }!
        let majority = [Int32(1), 2, 3, 4, 5].filter { $0 != leader && $0 != follower }
        cluster.partition([leader, follower], majority)
        let before = try #require(cluster.node(leader).status?.highWatermark)
        let stranded = try cluster.node(leader).propose([8])
        try cluster.run(for: 1_000)
        #expect(cluster.node(leader).status?.highWatermark == before)
        try cluster.runUntil(timeout: 10_000, "a leader in the majority") { cluster in
            majority.contains { cluster.node($0).status?.role == .leader }
        }
        cluster.heal()
        try cluster.commit([9])
        #expect(cluster.checker.committedEntry(at: stranded.offset) != LogEntry(offset: stranded.offset, epoch: stranded.epoch, payload: .data([8])))
    }

    @Test func theWholeClusterRestartsWithItsPersistedState() throws {
        let cluster = try SimCluster(seed: 18, voters: [1, 2, 3])
        var last: Int64 = 0
        for value in 0..<10 { last = try cluster.commit([UInt8(value)]) }
        for id in [Int32(1), 2, 3] { cluster.node(id).crash() }
        for id in [Int32(1), 2, 3] { try cluster.node(id).restart() }
        try cluster.runUntil(timeout: 15_000, "a leader after the restart") { $0.hasStableLeader }
        // The checker verified the new leader holds every committed record; the applications
        // rebuild the same state from their logs.
        let next = try cluster.commit([42])
        #expect(next > last)
        #expect(cluster.nodes.allSatisfy { ($0.raft?.appliedOffset ?? 0) > next })
    }
}
