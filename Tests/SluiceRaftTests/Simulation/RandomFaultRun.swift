import SluiceRaft

/// One seeded simulation: a random cluster shape, twenty simulated seconds of random faults
/// (crashes, restarts, crashes half-way through a persist, partitions, message loss,
/// duplication and reordering, clock skew) with proposals flowing, then the faults stop and the
/// cluster must elect a leader and commit within bounded time.
struct RandomFaultRun {
    let seed: UInt64
    /// How long faults are injected, in simulated milliseconds.
    var faultMillis: Int64 = 20_000
    /// After the faults stop, a leader every node follows must be elected within this bound...
    var leaderBoundMillis: Int64 = 15_000
    /// ...and a proposal to it must then be applied by every node within this one.
    var commitBoundMillis: Int64 = 20_000

    init(seed: UInt64) {
        self.seed = seed
    }

    func run() throws -> SimStats {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0x5EED)
        var options = SimCluster.Options()
        let size = [1, 2, 3, 3, 3, 3, 4, 5, 5, 5][rng.below(10)]
        options.voters = (1...size).map { Int32($0) }
        options.observers = rng.chance(0.2) ? [Int32(size + 1)] : []
        options.maxClockSkew = Double(rng.below(31)) / 100
        options.network.minLatency = 1
        options.network.maxLatency = Int64(2 + rng.below(80))
        // Small fetch limits split catch-up into many round trips (where commit bugs show).
        options.maxFetchBytes = rng.chance(0.5) ? 30 + rng.below(150) : 1 << 20
        options.snapshotChunkBytes = 8 + rng.below(64)
        options.snapshotEvery = rng.chance(0.7) ? Int64(2 + rng.below(25)) : nil
        options.crashDuringPersistRate = rng.chance(0.5) ? 0.01 : 0
        options.traceCapacity = 600
        let cluster = try SimCluster(seed: seed, options: options)
        let ids = options.voters + options.observers

        var proposals: UInt64 = 0
        func propose() throws {
            guard let leader = cluster.leader else { return }
            proposals += 1
            var payload: [UInt8] = []
            for shift in stride(from: 0, to: 64, by: 8) { payload.append(UInt8(truncatingIfNeeded: proposals >> UInt64(shift))) }
            _ = try? cluster.node(leader).propose(payload)
        }

        let faultEnd = cluster.now + faultMillis
        var nextFault = cluster.now + Int64(500 + rng.below(2_000))
        var nextProposal = cluster.now + Int64(rng.below(300))
        while cluster.now < faultEnd {
            let until = min(nextFault, nextProposal, faultEnd)
            try cluster.run(for: max(0, until - cluster.now))
            if cluster.now >= nextProposal {
                try propose()
                nextProposal = cluster.now + Int64(20 + rng.below(400))
            }
            if cluster.now >= nextFault {
                try injectFault(cluster, ids: ids, rng: &rng)
                nextFault = cluster.now + Int64(100 + rng.below(2_500))
            }
        }

        // The faults stop: heal, restart, clean network. Clock skew stays.
        cluster.trace.record(.note(time: cluster.now, "faults stop"))
        cluster.heal()
        cluster.network.lossRate = 0
        cluster.network.duplicateRate = 0
        cluster.crashDuringPersistRate = 0
        for id in ids where !cluster.node(id).isUp {
            try cluster.node(id).restart()
        }
        let stopped = cluster.now
        try cluster.runUntil(timeout: leaderBoundMillis, "a leader followed by every node after the faults stopped") {
            $0.hasStableLeader
        }
        let elected = cluster.now
        try cluster.commit([0xFF, 0xFE], timeout: commitBoundMillis)
        cluster.stats.maxElectionMillis = elected - stopped
        cluster.stats.maxCommitMillis = cluster.now - elected
        return cluster.stats
    }

    private func injectFault(_ cluster: SimCluster, ids: [Int32], rng: inout SplitMix64) throws {
        let up = ids.filter { cluster.node($0).isUp }
        let down = ids.filter { !cluster.node($0).isUp }
        switch rng.below(100) {
        case 0..<22:
            if let victim = up.isEmpty ? nil : up[rng.below(up.count)] {
                cluster.node(victim).crash()
            }
        case 22..<45:
            if let revived = down.isEmpty ? nil : down[rng.below(down.count)] {
                try cluster.node(revived).restart()
            }
        case 45..<62:
            var groups: [[Int32]] = [[], []]
            for id in ids { groups[rng.below(2)].append(id) }
            cluster.partition(groups)
        case 62..<70:
            // Isolate the leader, the classic way to make it a zombie.
            if let leader = cluster.leader {
                cluster.partition([leader], ids.filter { $0 != leader })
            }
        case 70..<82:
            cluster.heal()
        case 82..<92:
            cluster.network.lossRate = Double(rng.below(35)) / 100
            cluster.network.duplicateRate = Double(rng.below(15)) / 100
            cluster.network.maxLatency = Int64(2 + rng.below(150))
        default:
            if let leader = cluster.leader, rng.chance(0.5) {
                try cluster.node(leader).resign()
            } else {
                cluster.network.lossRate = 0
                cluster.network.duplicateRate = 0
            }
        }
    }
}
