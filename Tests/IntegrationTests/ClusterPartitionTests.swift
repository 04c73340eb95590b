import Foundation
import KafkaProtocol
import Testing

/// Network partitions, the failures that lose data in real systems (Jepsen's findings on
/// Kafka-compatible stores): three brokers on three "machines" (`NetnsCluster`), nftables rules
/// dropping packets inside one namespace while its process keeps running, and an idempotent
/// `acks=all` confluent-kafka producer (`WriteAudit`) writing to every partition throughout. After
/// healing, every acknowledged record must be in every replica's log at the offset it was
/// acknowledged with, once (read back from each rack's replica, KIP-392).
///
/// Local cluster timings (`sluice cluster up`'s): 3 s session, 0.5 s heartbeats, 0.5/1 s quorum
/// election/fetch timeouts, 3 s `replica.lag.time.max.ms`. Each test prints how long writes were
/// unavailable (the producer's longest gap between acknowledgements).
@Suite(.serialized, .onTestThreads) struct ClusterPartitionTests {
    static let topic = "audit"
    static let properties = [
        "broker.session.timeout.ms=3000",
        "broker.heartbeat.interval.ms=500",
        "controller.quorum.election.timeout.ms=500",
        "controller.quorum.fetch.timeout.ms=1000",
        "replica.lag.time.max.ms=3000",
        "replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector",
    ]

    /// (a) A partition leader cut off from the controller and the other replicas, still reachable
    /// by the producer: the controller fences it and elects another leader; it must not
    /// acknowledge `acks=all` writes meanwhile, the producer must move to the new leader while the
    /// partition lasts, and after healing the old leader truncates and follows.
    @Test func leaderCutOffFromItsPeersButNotFromTheProducer() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else { return print("skipped: confluent-kafka is not installed") }
        _ = try await NetnsCluster.with(properties: Self.properties) { cluster in
            let controller = try await Self.createTopic(cluster)
            let partitions = try await cluster.partitions(from: controller, topic: Self.topic)
            let (p, old) = try #require(partitions.sorted { $0.key < $1.key }.first { $0.value.leader != controller }
                .map { ($0.key, Int($0.value.leader)) })
            let peers = cluster.ids.filter { $0 != old }
            // The producer writes to that partition only: its one busy connection is to the old
            // leader, which librdkafka then asks for metadata (Jepsen's client next to the old leader).
            try await WriteAudit.with(bootstrap: cluster.bootstrap, topic: Self.topic, partition: p) { audit in
                try await audit.awaitProgress(200, partition: p, seconds: 60, "the producer writing to \(Self.topic)-\(p)")
                let cut = Date()
                try await cluster.cut(old, from: peers)
                var newLeader: Int32 = -1
                try await ClusterHarness.waitFor("a new leader of \(Self.topic)-\(p) on the majority side", seconds: 30) {
                    newLeader = try await cluster.partitions(from: controller, topic: Self.topic)[p]?.leader ?? -1
                    return newLeader >= 0 && newLeader != old
                }
                let elected = Date().timeIntervalSince(cut)
                // The producer, which still reaches the old leader, moves to the new one while the
                // partition lasts (a broker that went on posing as the leader kept it there 32 s,
                // until its records' delivery.timeout.ms expired: 368 of them failed).
                try await audit.awaitProgress(200, partition: p, seconds: 20, "acknowledgements of \(Self.topic)-\(p) from its new leader \(newLeader)\n\(cluster.logs())")
                let moved = Date().timeIntervalSince(cut)
                #expect(cluster.logContains(old, "no heartbeat answered"), "broker \(old) never noticed it was cut off\n\(cluster.logs())")

                try await cluster.heal(old)
                let healed = Date()
                try await Self.awaitConverged(cluster, brokers: cluster.ids, "broker \(old) back in every ISR after the heal")
                // The old leader follows the new one (its own metadata says so).
                try await ClusterHarness.waitFor("broker \(old) following \(newLeader) for \(Self.topic)-\(p)", seconds: 30) {
                    try await cluster.partitions(from: old, topic: Self.topic)[p]?.leader == newLeader
                }
                let rejoined = Date().timeIntervalSince(healed)
                try await audit.awaitProgress(100, seconds: 30, "writes after the heal")
                let stats = try await audit.stop()
                // delivery.timeout.ms is 30 s: a failure means a record found no leader for that long.
                #expect(stats["failed"] as? Int == 0, "\(stats)")
                try await Self.checkEveryReplica(cluster, audit, focus: (p, old))
                print("""
                    partition (a): leader \(old) of \(Self.topic)-\(p) cut off: new leader \(newLeader) after \(Self.f(elected)) s, \
                    producer moved after \(Self.f(moved)) s; rejoined \(Self.f(rejoined)) s after the heal; \
                    producer: \(stats["acknowledged"] ?? "?") acknowledged, \(stats["failed"] ?? "?") failed \(stats["errors"] ?? ""), \
                    longest gap \(stats["longest_gap"] ?? "?") s, gaps \(stats["gaps"] ?? "")
                    """)
            }
        }
    }

    /// (b) The active controller isolated from the other voters (clients still reach it): they
    /// elect a new controller, writes go on (its leaderships move once its lease runs out), and
    /// after healing the old controller follows the new one.
    @Test func activeControllerCutOffFromTheOtherVoters() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else { return print("skipped: confluent-kafka is not installed") }
        _ = try await NetnsCluster.with(properties: Self.properties) { cluster in
            let old = try await Self.createTopic(cluster)
            let peers = cluster.ids.filter { $0 != old }
            try await WriteAudit.with(bootstrap: cluster.bootstrap, topic: Self.topic) { audit in
                try await audit.awaitProgress(300, seconds: 60, "the producer writing to \(Self.topic)")
                let cut = Date()
                try await cluster.cut(old, from: peers)
                var newController: Int32 = -1
                try await ClusterHarness.waitFor("a new active controller among \(peers)", seconds: 30) {
                    newController = try await cluster.metadata(from: peers[0]).controllerId
                    return newController >= 0 && newController != old
                }
                let elected = Date().timeIntervalSince(cut)
                // Writes go on to every partition, those the old controller led included.
                let before = (Int32(0)..<3).map { audit.acknowledged(partition: $0) }
                try await ClusterHarness.waitFor("acknowledgements of every partition during the partition\n\(cluster.logs())", seconds: 40) {
                    (Int32(0)..<3).allSatisfy { audit.acknowledged(partition: $0) >= before[Int($0)] + 50 }
                }
                let flowing = Date().timeIntervalSince(cut)

                try await cluster.heal(old)
                let healed = Date()
                try await ClusterHarness.waitFor("broker \(old) following controller \(newController)", seconds: 30) {
                    try await cluster.metadata(from: old).controllerId == newController
                }
                try await Self.awaitConverged(cluster, brokers: cluster.ids, "broker \(old) back in every ISR after the heal")
                let rejoined = Date().timeIntervalSince(healed)
                try await audit.awaitProgress(100, seconds: 30, "writes after the heal")
                let stats = try await audit.stop()
                // delivery.timeout.ms is 30 s: a failure means a record found no leader for that long.
                #expect(stats["failed"] as? Int == 0, "\(stats)")
                try await Self.checkEveryReplica(cluster, audit)
                print("""
                    partition (b): controller \(old) cut off: controller \(newController) after \(Self.f(elected)) s, \
                    every partition acknowledging after \(Self.f(flowing)) s; rejoined \(Self.f(rejoined)) s after the heal; \
                    producer: \(stats["acknowledged"] ?? "?") acknowledged, \(stats["failed"] ?? "?") failed \(stats["errors"] ?? ""), \
                    longest gap \(stats["longest_gap"] ?? "?") s, gaps \(stats["gaps"] ?? "")
                    """)
            }
        }
    }

    /// (c) A flapping link: one broker (a partition leader) loses all its traffic for 0.5 s every
    /// 3 s for 30 s. No acknowledged record is lost, and the cluster converges afterwards.
    @Test func flappingLinkOfAPartitionLeader() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else { return print("skipped: confluent-kafka is not installed") }
        _ = try await NetnsCluster.with(properties: Self.properties) { cluster in
            let controller = try await Self.createTopic(cluster)
            let partitions = try await cluster.partitions(from: controller, topic: Self.topic)
            let flapping = Int(try #require(partitions.values.map(\.leader).filter { Int($0) != controller }.min()
                                            ?? partitions[0]?.leader))
            try await WriteAudit.with(bootstrap: cluster.bootstrap, topic: Self.topic) { audit in
                try await audit.awaitProgress(300, seconds: 60, "the producer writing to \(Self.topic)")
                let start = ContinuousClock.now
                var flaps = 0
                while ContinuousClock.now - start < .seconds(30) {
                    try await cluster.isolate(flapping)
                    try await Task.sleep(for: .milliseconds(500))
                    try await cluster.heal(flapping)
                    flaps += 1
                    try await Task.sleep(for: .milliseconds(2500))
                }
                let healed = Date()
                try await Self.awaitConverged(cluster, brokers: cluster.ids, "every broker in every ISR after the flapping")
                let converged = Date().timeIntervalSince(healed)
                try await audit.awaitProgress(100, seconds: 30, "writes after the flapping")
                let stats = try await audit.stop()
                // delivery.timeout.ms is 30 s: a failure means a record found no leader for that long.
                #expect(stats["failed"] as? Int == 0, "\(stats)")
                try await Self.checkEveryReplica(cluster, audit)
                print("""
                    partition (c): broker \(flapping)'s link down 0.5 s every 3 s, \(flaps) times: converged \(Self.f(converged)) s \
                    after the last; producer: \(stats["acknowledged"] ?? "?") acknowledged, \(stats["failed"] ?? "?") failed \
                    \(stats["errors"] ?? ""), longest gap \(stats["longest_gap"] ?? "?") s, gaps \(stats["gaps"] ?? "")
                    """)
            }
        }
    }

    /// libfaketime (Debian's `faketime`): moves a process's wall clock only
    /// (`FAKETIME_DONT_FAKE_MONOTONIC`), by the offset in a file it re-reads every second.
    static let faketime = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                           "/usr/lib/faketime/libfaketime.so.1"].first { FileManager.default.fileExists(atPath: $0) }

    /// (d) A partition leader's wall clock jumps an hour forward, then back, and then one of its
    /// followers stops fetching from it (cut off from the leader only; it still heartbeats to the
    /// controller, so only the leader can take it out of the ISR). Replication times intervals
    /// (ISR lag, `acks=all` deadlines) with a monotonic clock: the leader drops the follower after
    /// `replica.lag.time.max.ms` and `acks=all` writes go on (with the wall clock, the follower
    /// had "caught up" an hour in the future and stayed in the ISR, holding every write); nothing
    /// acknowledged is lost.
    @Test func wallClockJumpsOfAPartitionLeader() async throws {
        guard Clients.shouldRun(Clients.confluentKafka) else { return print("skipped: confluent-kafka is not installed") }
        guard let library = Self.faketime else { return print("skipped: libfaketime (Debian's faketime) is not installed") }
        let clocks = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-clocks-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: clocks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: clocks) }
        var environment: [Int: [String]] = [:]
        for i in 1...3 {
            try "+0\n".write(toFile: "\(clocks)/\(i)", atomically: true, encoding: .utf8)
            environment[i] = ["LD_PRELOAD=\(library)", "FAKETIME_TIMESTAMP_FILE=\(clocks)/\(i)", "FAKETIME_CACHE_DURATION=1",
                              "FAKETIME_DONT_FAKE_MONOTONIC=1"]
        }
        _ = try await NetnsCluster.with(properties: Self.properties, environment: environment) { cluster in
            let controller = try await Self.createTopic(cluster)
            let partitions = try await cluster.partitions(from: controller, topic: Self.topic)
            let (p, jumping) = try #require(partitions.sorted { $0.key < $1.key }.first { $0.value.leader != controller }
                .map { ($0.key, Int($0.value.leader)) })
            let follower = try #require(cluster.ids.first { $0 != jumping && $0 != controller })
            try await WriteAudit.with(bootstrap: cluster.bootstrap, topic: Self.topic) { audit in
                try await audit.awaitProgress(300, seconds: 60, "the producer writing to \(Self.topic)")
                for offset in ["+1h", "+0"] {
                    try "\(offset)\n".write(toFile: "\(clocks)/\(jumping)", atomically: true, encoding: .utf8)
                    // libfaketime re-reads the file every second; then the followers' fetches go on.
                    try await Task.sleep(for: .seconds(3))
                    try await audit.awaitProgress(100, partition: p, seconds: 20, "writes to \(Self.topic)-\(p) with broker \(jumping)'s clock at \(offset)")
                }
                let cut = Date()
                try await cluster.cut(follower, from: [jumping])
                try await ClusterHarness.waitFor("broker \(jumping) dropping \(follower) from the ISR of \(Self.topic)-\(p)\n\(cluster.logs())", seconds: 30) {
                    try await cluster.partitions(from: controller, topic: Self.topic)[p]?.isr.contains(Int32(follower)) == false
                }
                let dropped = Date().timeIntervalSince(cut)
                try await audit.awaitProgress(100, partition: p, seconds: 20, "acks=all writes to \(Self.topic)-\(p) without \(follower)")
                try await cluster.heal(follower)
                try await Self.awaitConverged(cluster, brokers: cluster.ids, "every broker in every ISR after the heal")
                let stats = try await audit.stop()
                #expect(stats["failed"] as? Int == 0, "\(stats)")
                try await Self.checkEveryReplica(cluster, audit)
                print("""
                    clock (d): broker \(jumping) (leader of \(Self.topic)-\(p)) jumped +1 h and back; follower \(follower) cut off \
                    from it was out of the ISR after \(Self.f(dropped)) s; producer: \(stats["acknowledged"] ?? "?") acknowledged, \
                    \(stats["failed"] ?? "?") failed \(stats["errors"] ?? ""), longest gap \(stats["longest_gap"] ?? "?") s, gaps \(stats["gaps"] ?? "")
                    """)
            }
        }
    }

    // MARK: Shared steps

    /// Creates the topic (3 partitions, RF 3, `min.insync.replicas=2`) and waits until every
    /// partition has a leader and three in-sync replicas; returns the active controller.
    static func createTopic(_ cluster: NetnsCluster) async throws -> Int {
        _ = try await ClientRunner.python("cluster_client.py", ["create", cluster.bootstrap, topic, "3", "3", "2"], timeout: 60)
        try await awaitConverged(cluster, brokers: cluster.ids, "\(topic) with three in-sync replicas everywhere")
        return Int(try await cluster.metadata(from: 1).controllerId)
    }

    /// Waits until every broker of `brokers` is registered and sees the same controller and, for
    /// each partition, the same leader and all three replicas in the ISR.
    static func awaitConverged(_ cluster: NetnsCluster, brokers: [Int], _ what: String) async throws {
        try await ClusterHarness.waitFor("\(what)\n\(cluster.logs())", seconds: 60) {
            var views: [String] = []
            for i in brokers {
                let m = try await cluster.metadata(from: i, topic: topic)
                guard m.brokers.count == cluster.size, m.controllerId > 0,
                      let partitions = m.topics.first?.partitions, partitions.count == 3,
                      partitions.allSatisfy({ $0.leaderId >= 0 && $0.isrNodes.count == 3 }) else { return false }
                views.append("\(m.controllerId) " + partitions.sorted { $0.partitionIndex < $1.partitionIndex }
                    .map { "\($0.leaderId)@\($0.leaderEpoch)" }.joined(separator: ","))
            }
            return Set(views).count == 1
        }
    }

    /// Reads the topic back from each rack's replicas: every acknowledged record in every log at
    /// its offset, nothing twice. `focus`: a partition whose reads must come from that broker.
    static func checkEveryReplica(_ cluster: NetnsCluster, _ audit: WriteAudit, focus: (Int32, Int)? = nil) async throws {
        let acknowledged = audit.acknowledged()
        #expect(acknowledged > 0)
        for i in cluster.ids {
            let result = try await audit.check(bootstrap: cluster.bootstrap, topic: topic, rack: "rack-\(i)")
            #expect(result["acknowledged"] as? Int == acknowledged, "\(result)")
            #expect(result["lost_count"] as? Int == 0, "replicas of rack-\(i) lost acknowledged records: \(result)\n\(cluster.logs())")
            #expect((result["duplicated"] as? [String])?.isEmpty == true, "rack-\(i): \(result)")
            #expect((result["incomplete"] as? [Int])?.isEmpty == true, "rack-\(i): \(result)")
            if let (p, broker) = focus, broker == i {
                let from = (result["fetched_from"] as? [String: Int])?[String(p)]
                #expect(from == broker, "\(topic)-\(p) was read from broker \(from ?? -1), not \(broker): \(result)")
            }
        }
    }

    static func f(_ seconds: Double) -> String { String(format: "%.2f", seconds) }
}
