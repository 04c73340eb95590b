@testable import SluiceBroker
import SluiceStorage
import Testing

/// Hand-written replication scenarios on the simulated cluster, each a story with a known end.
@Suite struct ReplicationScenarios {
    @Test func healthyClusterReplicatesAndCommits() throws {
        let sim = try ReplicationSim(seed: 11)
        try sim.run(for: 3_000)
        sim.producing = false
        try sim.runUntil(timeout: 10_000, "convergence\n\(sim.describe())") { $0.isConverged }
        try sim.verifyConverged()
        #expect(sim.stats.acked > 10)
    }
}
