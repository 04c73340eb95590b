import ArgumentParser
import Foundation
import SluiceBase
import SluiceClient
import SluiceLocalCluster

/// `sluice verify`: a fault-tolerance audit. Writes sequence-numbered records with an idempotent
/// `acks=all` producer to a replicated topic of a local cluster, reads them back, and meanwhile
/// SIGKILLs and restarts brokers; then reports, per partition, what was produced, acknowledged,
/// read back, lost, duplicated or reordered, and the longest time writes were unavailable.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Audit fault tolerance: write, kill brokers, read back, count what was lost.",
        discussion: """
            Without --data-dir, starts a new local cluster of --brokers brokers in a temporary \
            directory (removed afterwards unless --keep). With --data-dir of a cluster started by \
            `sluice cluster up`, uses it (its brokers are killed and restarted too). The topic has \
            replication factor min(3, brokers) and min.insync.replicas = RF - 1. Exit status 1 when an \
            acknowledged record was lost or records were read out of order, 2 when the run itself failed.
            """)

    @Option(name: .long, help: "Seconds of writing and killing.") var duration: Double = 60
    @Option(name: .customLong("kill-every"), help: "Seconds between kills (the mean, with --random).") var killEvery: Double = 10
    @Option(name: .customLong("kill"), help: "Brokers down at once at most.") var killCount: Int = 1
    @Option(name: .customLong("down-for"), help: "Seconds a killed broker stays down (default: half of --kill-every, at most 5).")
    var downFor: Double?
    @Flag(name: .long, help: "Kill at random intervals (exponential, mean --kill-every) instead of a fixed schedule.")
    var random = false
    @Option(name: .long, help: "Seeds the choice of victims and intervals (default: random, printed).") var seed: UInt64?
    @Option(name: .long, help: "Brokers of the new cluster.") var brokers: Int = 3
    @Option(name: .long, help: "Partitions of the audited topic.") var partitions: Int = 3
    @Option(name: .long, help: "Records per second, over all partitions.") var rate: Int = 2000
    @Option(name: .long, help: "A running local cluster's directory (from `sluice cluster up`).") var dataDir: String?
    @Flag(name: .long, help: "Keep the new cluster's directory (and leave its brokers running).") var keep = false
    @Flag(name: .long, help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard duration > 0, killEvery > 0, rate > 0, (1...64).contains(partitions) else {
            throw ValidationError("--duration, --kill-every and --rate must be positive, --partitions 1-64")
        }
        guard (1...9).contains(brokers), killCount >= 0, killCount <= brokers else {
            throw ValidationError("--brokers must be 1-9 and --kill at most --brokers")
        }
    }

    func run() async throws {
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let interrupt = VerifyInterrupt()
        defer { interrupt.cancel() }
        let (cluster, state, owned) = try await startCluster(interrupt)
        let bootstrap = state.members.sorted { $0.id < $1.id }.map { BrokerAddress(host: "127.0.0.1", port: $0.port) }
        note("cluster: \(state.members.count) brokers in \(cluster.directory); seed \(seed)")
        for member in state.members.sorted(by: { $0.id < $1.id }) { note("  broker \(member.id) (pid \(member.pid)) on 127.0.0.1:\(member.port)") }
        let configuration = ClientConfiguration(
            bootstrapServers: bootstrap, clientId: "sluice-verify", connectTimeout: .seconds(2), requestTimeout: .seconds(15),
            retry: RetryPolicy(maxAttempts: 1_000, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1)))
        let client = KafkaClient(configuration: configuration)
        let chaos = VerifyChaos(cluster: cluster, state: state, settings: .init(
            killEvery: killEvery, killCount: killCount, downFor: downFor ?? min(5, killEvery / 2), random: random, seed: seed))
        if owned && !keep {
            interrupt.onInterrupt { Self.tearDown(cluster, chaos.state, grace: 0) }
        } else {
            interrupt.onInterrupt {
                let down = chaos.downBrokers
                if !down.isEmpty { Console.note("brokers \(down) are down; `sluice cluster up --data-dir \(cluster.directory)` starts them") }
            }
        }
        let outcome: VerifyOutcome
        do {
            outcome = try await audit(client: client, chaos: chaos, seed: seed)
        } catch {
            chaos.restartAll(report: note)
            await client.close()
            if owned && !keep { Self.tearDown(cluster, chaos.state, keepLogs: true) }
            Console.error("sluice verify: \(error)")
            throw ExitCode(2)
        }
        await client.close()
        let report = VerifyReport(ledgers: outcome.ledgers, kills: chaos.kills, restarts: chaos.restarts, seed: seed,
                                  duration: duration, caughtUp: outcome.caughtUp)
        // A failed run keeps the brokers' logs (the data too) for a post-mortem.
        if owned && !keep { Self.tearDown(cluster, chaos.state, keepLogs: !report.passed) }
        Console.print(json ? report.json : report.table)
        if !report.passed { throw ExitCode(1) }
    }

    private func audit(client: KafkaClient, chaos: VerifyChaos, seed: UInt64) async throws -> VerifyOutcome {
        let topic = "sluice-verify-\(seed)"
        let factor = min(3, chaos.state.members.count)
        try await KafkaAdmin(client: client).createTopic(NewTopic(
            name: topic, partitions: Int32(partitions), replicationFactor: Int16(factor),
            configs: ["min.insync.replicas": String(max(1, factor - 1))]))
        let ledger = VerifyLedger(partitions: partitions)
        let workload = VerifyWorkload(client: client, topic: topic, partitions: partitions, ledger: ledger)
        let producer = try await KafkaProducer(client: client, configuration: VerifyWorkload.producerConfiguration)
        let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
            autoOffsetReset: .earliest, enableAutoCommit: false, fetchMaxWait: .milliseconds(200)))
        let reader = Task { await workload.consume(with: consumer) }
        let end = VerifyChaos.monotonic() + duration
        let writer = Task { try await workload.produce(with: producer, rate: rate) { VerifyChaos.monotonic() >= end } }
        let progress = Task { await Self.progress(ledger, chaos: chaos, note: note) }
        await chaos.run(until: end, report: { note("\(Self.clock(ledger)) \($0)") })
        _ = try await writer.value
        note("\(Self.clock(ledger)) writing stopped; restarting every broker and reading back")
        chaos.restartAll(report: { note("\(Self.clock(ledger)) \($0)") })
        let flushed = Task { await producer.close() }
        await flushed.value
        let stopped = ledger.now
        for p in 0..<partitions { ledger.update(p) { $0.finished(at: stopped, outstanding: false) } }
        let caughtUp = await workload.caughtUp(consumer, timeout: 60)
        progress.cancel()
        reader.cancel()
        await reader.value
        await consumer.close()
        return VerifyOutcome(ledgers: ledger.snapshot, caughtUp: caughtUp)
    }

    /// The cluster to audit: the running one in --data-dir, or a new one (owned: torn down after).
    private func startCluster(_ interrupt: VerifyInterrupt) async throws -> (LocalCluster, LocalCluster.State, owned: Bool) {
        if let dataDir {
            let cluster = LocalCluster(directory: dataDir)
            guard let state = cluster.load(), state.members.contains(where: { LocalCluster.isAlive($0.pid) }) else {
                throw ValidationError("no running cluster in \(dataDir) (start one with `sluice cluster up --data-dir \(dataDir)`)")
            }
            return (cluster, state, false)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-verify-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        let cluster = LocalCluster(directory: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let state = try ClusterUpCommand.create(cluster, brokers: brokers, voters: min(brokers, 3), racks: nil)
        try cluster.save(state)
        if !keep { interrupt.onInterrupt { Self.tearDown(cluster, state, grace: 0) } }
        do {
            try await ClusterUpCommand.waitUntilServing(state.members, expected: state.members.count, timeout: 60, cluster: cluster)
        } catch {
            Self.tearDown(cluster, state)
            throw error
        }
        return (cluster, state, true)
    }

    private static func tearDown(_ cluster: LocalCluster, _ state: LocalCluster.State, grace: Double = 5, keepLogs: Bool = false) {
        for member in state.members where LocalCluster.isAlive(member.pid) { _ = LocalCluster.stop(pid: member.pid, grace: grace) }
        if keepLogs {
            Console.note("brokers stopped; their logs and data are kept in \(cluster.directory)")
        } else {
            try? FileManager.default.removeItem(atPath: cluster.directory)
        }
    }

    private static func progress(_ ledger: VerifyLedger, chaos: VerifyChaos, note: (String) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 5_000_000_000)
            if Task.isCancelled { return }
            let all = ledger.snapshot
            let acked = all.reduce(0) { $0 + $1.acknowledged.count }
            let read = all.reduce(0) { $0 + $1.consumed.count }
            let quiet = all.map { $0.quietFor(at: ledger.now) }.max() ?? 0
            let down = chaos.downBrokers
            note("\(clock(ledger)) acknowledged \(acked), read \(read)"
                 + (quiet >= 1 ? String(format: ", no acknowledgement for %.1f s", quiet) : "")
                 + (down.isEmpty ? "" : ", down: \(down.map(String.init).joined(separator: ","))"))
        }
    }

    private static func clock(_ ledger: VerifyLedger) -> String { String(format: "%6.1fs", ledger.now) }

    /// Progress goes to standard error (with --json too: the report alone is on standard output).
    private func note(_ text: String) {
        Console.note(text)
    }
}

struct VerifyOutcome: Sendable {
    var ledgers: [PartitionLedger]
    var caughtUp: Bool
}
