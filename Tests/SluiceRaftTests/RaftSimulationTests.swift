import Foundation
import SluiceRaft
import Testing

/// Thousands of seeded random-fault runs (see `RandomFaultRun`), split into shards that Swift
/// Testing runs in parallel.
///
/// - `SIM_SEED=<n> swift test --filter RaftSimulation` replays one seed (a failure prints it).
/// - `SIM_RUNS=<n>` sets the number of runs (default below); `SIM_BASE_SEED=<n>` the first seed.
@Suite struct RaftSimulation {
    static let defaultRuns = 10_000
    static let shards = 8

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Test(arguments: 0..<shards)
    func randomFaults(shard: Int) async throws {
        var seeds: [UInt64] = []
        if let single = Self.environment["SIM_SEED"].flatMap(UInt64.init) {
            if shard == 0 { seeds = [single] }
        } else {
            let runs = Self.environment["SIM_RUNS"].flatMap(Int.init) ?? Self.defaultRuns
            let base = Self.environment["SIM_BASE_SEED"].flatMap(UInt64.init) ?? 1
            seeds = stride(from: shard, to: runs, by: Self.shards).map { base + UInt64($0) }
        }
        guard !seeds.isEmpty else { return }
        let started = ContinuousClock.now
        let runSeeds = seeds
        // Seconds of pure computation: on a thread of its own, not one of the cooperative pool's
        // few (where it would hold back every other test's awaits); issues are recorded back here.
        let (stats, failed, executed) = try await offPool { () throws -> (SimStats, [SimulationFailure], Int) in
            var stats = SimStats()
            var failed: [SimulationFailure] = []
            var executed = 0
            for seed in runSeeds {
                executed += 1
                do {
                    stats.add(try RandomFaultRun(seed: seed).run())
                } catch let failure as SimulationFailure {
                    failed.append(failure)
                    if failed.count >= 3 { break }
                }
            }
            return (stats, failed, executed)
        }
        for failure in failed {
            print(failure.description)
            Issue.record("\(failure.description)")
        }
        let failures = failed.count
        let elapsed = ContinuousClock.now - started
        print(
            "RaftSimulation shard \(shard): \(executed) runs (seeds \(seeds.first!)...\(seeds.last!) step \(Self.shards)) in \(elapsed), \(failures) failed; "
                + "elections \(stats.elections), applied \(stats.applied), crashes \(stats.crashes) "
                + "(\(stats.crashesWhilePersisting) while persisting), truncations \(stats.truncations), "
                + "snapshots stored \(stats.snapshotsStored), installed from leader \(stats.snapshotInstalls), "
                + "messages \(stats.messages); after the faults: leader within \(stats.maxElectionMillis)ms, "
                + "commit within \(stats.maxCommitMillis)ms (worst run)"
        )
        if seeds.count >= 50 {
            // The faults must actually happen, or the invariants prove nothing.
            #expect(stats.elections > seeds.count)
            #expect(stats.crashes > 0 && stats.crashesWhilePersisting > 0)
            #expect(stats.truncations > 0)
            #expect(stats.snapshotInstalls > 0)
        }
    }
}
