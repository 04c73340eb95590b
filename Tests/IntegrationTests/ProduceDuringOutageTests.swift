import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceClient
import SluiceConsole
import Testing

/// Producing while two of three brokers are down (no metadata quorum, so the leader can neither
/// commit a write nor shrink its ISR): the write times out. With Kafka's producer defaults —
/// acks=all and idempotence, used by `sluice produce` and by the console's `p` dialog — the
/// retries never add copies, the error says the record may have been written, and once the
/// brokers are back the partition holds exactly one copy of it.
@Suite(.serialized) struct ProduceDuringOutageTests {
    @Test func aTimedOutProduceMayHaveBeenWrittenAndIsStoredOnce() async throws {
        // Waits run off the cooperative pool (offPool): the client's own tasks need its threads
        // meanwhile. Brokers are started here, though: they stop when the thread that started them
        // ends (`--exit-with-parent`), and a pool thread lives as long as the test process.
        let harness = Harness(cluster: try ClusterHarness(brokers: 3))
        let cluster = harness.cluster
        defer { cluster.stopAll() }
        try cluster.startAll()
        let (survivor, others) = try await offPool { () throws -> (String, [Int32]) in
            let cluster = harness.cluster
            try ClusterHarness.waitFor("3 brokers and a controller", seconds: 60) {
                let m = try ClusterProcessTests.metadata(cluster)
                return m.brokers.count == 3 && m.controllerId >= 0
            }
            try SluiceCLI.ok(["topic", "create", "outage", "-p", "1", "-r", "3"], bootstrap: cluster.bootstrap)
            var leader: Int32 = -1
            try ClusterHarness.waitFor("outage-0 with a leader and 3 in sync", seconds: 30) {
                let p = try ClusterProcessTests.metadata(cluster, topic: "outage").topics.first?.partitions.first
                leader = p?.leaderId ?? -1
                return leader >= 0 && p?.isrNodes.count == 3
            }
            return ("127.0.0.1:\(cluster.nodes[leader]!.port)", cluster.nodes.keys.filter { $0 != leader }.sorted())
        }
        let bootstrap = cluster.bootstrap

        // The console's producer, as its `p` dialog uses it, on a client of the whole cluster.
        let client = KafkaClient(configuration: ClientConfiguration(
            bootstrapServers: try BrokerAddress.parseList(bootstrap), clientId: "console-like",
            connectTimeout: .seconds(2), requestTimeout: .seconds(3)))
        let producer = try await KafkaProducer(client: client, configuration: ClusterActions.producerConfiguration)
        _ = try await producer.send(ProducerRecord(topic: "outage", value: "before console"))
        // Producer ids come in blocks from the controller, which the outage takes away: the
        // surviving leader hands one out here, so that it has ids left for the CLI later.
        try await offPool { try SluiceCLI.ok(["produce", "outage"], bootstrap: survivor, input: "before cli\n") }

        // Two of three down: no metadata quorum, the leader cannot commit the write.
        try await offPool { for id in others { harness.cluster.kill9(id) } }
        do {
            _ = try await producer.send(ProducerRecord(topic: "outage", value: "outage msg console"))
            Issue.record("the produce should have timed out with two of three brokers down")
        } catch let error as KafkaClientError {
            #expect(error.description.contains("the record may have been written"), "\(error)")
        }
        let cli = try await offPool {
            try SluiceCLI.run(["produce", "outage", "--timeout", "2", "--delivery-timeout-ms", "7000"],
                              bootstrap: survivor, input: "outage msg cli\n", timeout: 90)
        }
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("the record may have been written"), "\(cli.stderr)")

        for id in others { try cluster.start(id) }
        let values = try await offPool { () throws -> [String] in
            var values: [String] = []
            try ClusterHarness.waitFor("the outage records readable", seconds: 90) {
                let read = try SluiceCLI.run(["consume", "outage", "--from-beginning", "--exit-at-end"], bootstrap: bootstrap)
                values = read.lines
                return read.status == 0 && values.contains("outage msg console") && values.contains("outage msg cli")
            }
            return values
        }
        await producer.close()
        await client.close()
        for value in ["before console", "before cli", "outage msg console", "outage msg cli"] {
            #expect(values.filter { $0 == value }.count == 1, "one copy of '\(value)': \(values)")
        }
    }
}

/// The cluster, handed to the off-pool steps. Safe to share: the test awaits each step before the
/// next one starts, so one thread at a time uses it.
private struct Harness: @unchecked Sendable {
    let cluster: ClusterHarness
}
