import Foundation
import KafkaProtocol
import Testing

/// Fast failure detection with real processes: a SIGKILLed broker's sockets close, and the active
/// controller fences it at once (after a probe of its listener finds nothing) instead of waiting
/// out `broker.session.timeout.ms` — here 60 s, so a new leader within 20 s can only come from
/// that path. The fencing takes the dead broker out of every ISR and elects new leaders in the
/// same metadata change.
@Suite(.serialized, .onTestThreads) struct ClusterFastFailoverTests {
    static let sessionTimeoutMs = 60_000

    /// Kills broker `victim` (leader of failover-`index`) and waits until the survivors show
    /// another leader for it and the victim out of every partition's ISR — also of those led by
    /// others, where a dead follower would otherwise hold `acks=all` writes until
    /// `replica.lag.time.max.ms` (Kafka's 30 s here) dropped it. Returns the seconds it took.
    static func killAndAwaitNewLeader(_ cluster: ClusterHarness, victim: Int32, partition index: Int32) async throws -> Double {
        let killed = Date()
        await cluster.kill9(victim)
        try await ClusterHarness.waitFor("a new leader of failover-\(index), broker \(victim) in no ISR", seconds: 20) {
            let partitions = try await ClusterProcessTests.metadata(cluster, topic: "failover", avoiding: [victim])
                .topics.first?.partitions ?? []
            guard let p = partitions.first(where: { $0.partitionIndex == index }) else { return false }
            return p.leaderId >= 0 && p.leaderId != victim && partitions.allSatisfy { !$0.isrNodes.contains(victim) }
        }
        let seconds = Date().timeIntervalSince(killed)
        // Fenced: the survivors no longer list it among the live brokers.
        let brokers = try await ClusterProcessTests.metadata(cluster, avoiding: [victim]).brokers.map(\.nodeId)
        #expect(!brokers.contains(victim), "broker \(victim) still listed: \(brokers)")
        return seconds
    }

    @Test func killedBrokersAreFencedLongBeforeTheirSessionTimeout() async throws {
        try await ClusterHarness.with(brokers: 3, sessionTimeoutMs: Self.sessionTimeoutMs) { cluster in
            try await scenario(cluster)
        }
    }

    private func scenario(_ cluster: ClusterHarness) async throws {
        try await cluster.startAll()
        try await ClusterHarness.waitFor("3 registered brokers and a controller", seconds: 30) {
            let m = try await ClusterProcessTests.metadata(cluster)
            return m.brokers.count == 3 && m.controllerId >= 0
        }
        try await SluiceCLI.ok(["topic", "create", "failover", "--partitions", "3", "--replication-factor", "3"],
                         bootstrap: cluster.bootstrap)
        var created = MetadataResponse()
        try await ClusterHarness.waitFor("failover with 3 in-sync replicas everywhere", seconds: 30) {
            created = try await ClusterProcessTests.metadata(cluster, topic: "failover")
            return created.topics.first?.partitions.count == 3
                && created.topics.first?.partitions.allSatisfy { $0.leaderId >= 0 && $0.isrNodes.count == 3 } == true
        }

        // 1. A partition leader that is not the active controller: its heartbeat connection to the
        // controller closes when it dies.
        let controller = created.controllerId
        let partitions = try #require(created.topics.first?.partitions)
        if let led = partitions.first(where: { $0.leaderId != controller }) {
            let seconds = try await Self.killAndAwaitNewLeader(cluster, victim: led.leaderId, partition: led.partitionIndex)
            print("leader \(led.leaderId) (not the controller) replaced in \(String(format: "%.2f", seconds)) s")
            try await cluster.start(led.leaderId)
            try await ClusterHarness.waitFor("broker \(led.leaderId) back and in sync", seconds: 60) {
                let m = try await ClusterProcessTests.metadata(cluster, topic: "failover")
                return m.brokers.count == 3 && m.topics.first?.partitions.allSatisfy { $0.isrNodes.count == 3 } == true
            }
        }

        // 2. The active controller, leading a partition: a new controller is elected (its Raft
        // followers saw the connection reset) and, having no heartbeat connection from the dead
        // node, probes every broker as it becomes active.
        let now = try await ClusterProcessTests.metadata(cluster, topic: "failover")
        let active = now.controllerId
        let ledByController = try #require(now.topics.first?.partitions.first { $0.leaderId == active }
                                           ?? now.topics.first?.partitions.first)
        if ledByController.leaderId == active {
            let seconds = try await Self.killAndAwaitNewLeader(cluster, victim: active, partition: ledByController.partitionIndex)
            print("controller \(active), a partition leader, replaced in \(String(format: "%.2f", seconds)) s")
        } else {
            // The controller leads nothing (leaders moved back to preferred replicas elsewhere): its
            // death must still fence it.
            await cluster.kill9(active)
            let seconds = try await ClusterHarness.waitFor("controller \(active) fenced", seconds: 20) {
                let m = try await ClusterProcessTests.metadata(cluster, avoiding: [active])
                return m.controllerId >= 0 && m.controllerId != active && !m.brokers.map(\.nodeId).contains(active)
            }
            print("controller \(active) fenced in \(String(format: "%.2f", seconds)) s")
        }
    }
}
