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

extension ReplicationScenarios {
    /// Two of three brokers die: once the ISR has shrunk to the survivor, `acks=all` writes are
    /// refused with NOT_ENOUGH_REPLICAS (min.insync.replicas 2) and nothing more is acknowledged;
    /// after the restarts the replicas converge and every acknowledged record is still there.
    @Test func twoOfThreeDownRefusesAcksAllThenRecovers() throws {
        let sim = try ReplicationSim(seed: 23)
        try sim.run(for: 2_000)
        let ackedBefore = sim.stats.acked
        #expect(ackedBefore > 0)
        sim.broker(2).crash()
        sim.broker(3).crash()
        // Past the session timeout (1.2 s) and the ISR lag: fenced, ISRs shrunk to broker 1.
        try sim.run(for: 4_000)
        let ackedWhileDown = sim.stats.acked, refusedBefore = sim.stats.notEnoughReplicas
        try sim.run(for: 3_000)
        #expect(sim.stats.acked == ackedWhileDown, "nothing is acknowledged with one replica of three\n\(sim.describe())")
        #expect(sim.stats.notEnoughReplicas > refusedBefore, "acks=all is refused with NOT_ENOUGH_REPLICAS\n\(sim.describe())")
        try sim.broker(2).restart()
        try sim.broker(3).restart()
        try sim.run(for: 3_000)
        #expect(sim.stats.acked > ackedWhileDown, "writes are accepted again\n\(sim.describe())")
        sim.producing = false
        try sim.runUntil(timeout: 15_000, "convergence\n\(sim.describe())") { $0.isConverged }
        try sim.verifyConverged()
    }
}
