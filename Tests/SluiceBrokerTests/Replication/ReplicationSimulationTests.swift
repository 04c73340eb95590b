import Foundation
@testable import SluiceBroker
import Testing

/// Seeded random-fault runs of the replication simulation (see `RandomReplicationRun`), split
/// into shards that Swift Testing runs in parallel.
///
/// - `REPL_SIM_SEED=<n> swift test --filter ReplicationSimulation` replays one seed.
/// - `REPL_SIM_RUNS=<n>` sets the number of runs; `REPL_SIM_BASE_SEED=<n>` the first seed.
@Suite struct ReplicationSimulation {
    static let defaultRuns = 200
    static let shards = 4

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Test(arguments: 0..<shards)
    func randomFaults(shard: Int) async throws {
        var seeds: [UInt64] = []
        if let single = Self.environment["REPL_SIM_SEED"].flatMap(UInt64.init) {
            if shard == 0 { seeds = [single] }
        } else {
            let runs = Self.environment["REPL_SIM_RUNS"].flatMap(Int.init) ?? Self.defaultRuns
            let base = Self.environment["REPL_SIM_BASE_SEED"].flatMap(UInt64.init) ?? 1
            seeds = stride(from: shard, to: runs, by: Self.shards).map { base + UInt64($0) }
        }
        guard !seeds.isEmpty else { return }
        let started = ContinuousClock.now
        let runSeeds = seeds
        // Seconds of pure computation: on a thread of its own, not one of the cooperative pool's
        // few (where it would hold back every other test's awaits); issues are recorded back here.
        let (stats, failed) = try await offPool { () throws -> (ReplicationSimStats, [ReplicationSimulationFailure]) in
            var stats = ReplicationSimStats()
            var failed: [ReplicationSimulationFailure] = []
            for seed in runSeeds {
                do {
                    stats.add(try RandomReplicationRun(seed: seed).run())
                } catch let failure as ReplicationSimulationFailure {
                    failed.append(failure)
                    if failed.count >= 2 { break }
                }
            }
            return (stats, failed)
        }
        for failure in failed {
            print(failure.description)
            Issue.record("\(failure.description)")
        }
        let failures = failed.count
        print("ReplicationSimulation shard \(shard): \(seeds.count) runs in \(ContinuousClock.now - started), \(failures) failed; "
              + "acked batches \(stats.acked) (\(stats.ackedRecords) records), crashes \(stats.crashes), "
              + "partitions \(stats.partitions), leader changes \(stats.leaderChanges), ISR shrinks \(stats.isrShrinks), "
              + "expansions \(stats.isrExpansions), truncations \(stats.truncations), produce timeouts \(stats.timeouts), "
              + "NOT_ENOUGH_REPLICAS \(stats.notEnoughReplicas), messages \(stats.messages)")
        if seeds.count >= 20 {
            #expect(stats.leaderChanges > seeds.count)
            #expect(stats.truncations > 0)
            #expect(stats.isrShrinks > 0 && stats.isrExpansions > 0)
            #expect(stats.acked > seeds.count * 10)
        }
    }
}
