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
@Suite(.serialized, .onTestThreads) struct ProduceDuringOutageTests {
    @Test func aTimedOutProduceMayHaveBeenWrittenAndIsStoredOnce() async throws {
        try await ClusterHarness.with(brokers: 3) { cluster in
            try await cluster.startAll()
            try await ClusterHarness.waitFor("3 brokers and a controller", seconds: 60) {
                let m = try await ClusterProcessTests.metadata(cluster)
                return m.brokers.count == 3 && m.controllerId >= 0
            }
            try await SluiceCLI.ok(["topic", "create", "outage", "-p", "1", "-r", "3"], bootstrap: cluster.bootstrap)
            var leader: Int32 = -1
            try await ClusterHarness.waitFor("outage-0 with a leader and 3 in sync", seconds: 30) {
                let p = try await ClusterProcessTests.metadata(cluster, topic: "outage").topics.first?.partitions.first
                leader = p?.leaderId ?? -1
                return leader >= 0 && p?.isrNodes.count == 3
            }
            let survivor = "127.0.0.1:\(cluster.nodes[leader]!.port)"
            let others = cluster.nodes.keys.filter { $0 != leader }.sorted()
            let bootstrap = cluster.bootstrap

            // The console's producer, as its `p` dialog uses it, on a client of the whole cluster.
            let client = KafkaClient(configuration: ClientConfiguration(
                bootstrapServers: try BrokerAddress.parseList(bootstrap), clientId: "console-like",
                connectTimeout: .seconds(2), requestTimeout: .seconds(3)))
            let values = try await withResource(client, stop: { await $0.close() }) { client in
                let producer = try await KafkaProducer(client: client, configuration: ClusterActions.producerConfiguration)
                return try await withResource(producer, stop: { await $0.close() }) { producer in
                    _ = try await producer.send(ProducerRecord(topic: "outage", value: "before console"))
                    // Producer ids come in blocks from the controller, which the outage takes away: the
                    // surviving leader hands one out here, so that it has ids left for the CLI later.
                    try await SluiceCLI.ok(["produce", "outage"], bootstrap: survivor, input: "before cli\n")

                    // Two of three down: no metadata quorum, the leader cannot commit the write.
                    for id in others { await cluster.kill9(id) }
                    do {
                        _ = try await producer.send(ProducerRecord(topic: "outage", value: "outage msg console"))
                        Issue.record("the produce should have timed out with two of three brokers down")
                    } catch let error as KafkaClientError {
                        #expect(error.description.contains("the record may have been written"), "\(error)")
                    }
                    let cli = try await SluiceCLI.run(["produce", "outage", "--timeout", "2", "--delivery-timeout-ms", "7000"],
                                                      bootstrap: survivor, input: "outage msg cli\n", timeout: 90)
                    #expect(cli.status != 0)
                    #expect(cli.stderr.contains("the record may have been written"), "\(cli.stderr)")

                    for id in others { try await cluster.start(id) }
                    var values: [String] = []
                    try await ClusterHarness.waitFor("the outage records readable", seconds: 90) {
                        let read = try await SluiceCLI.run(["consume", "outage", "--from-beginning", "--exit-at-end"], bootstrap: bootstrap)
                        values = read.lines
                        return read.status == 0 && values.contains("outage msg console") && values.contains("outage msg cli")
                    }
                    return values
                }
            }
            for value in ["before console", "before cli", "outage msg console", "outage msg cli"] {
                #expect(values.filter { $0 == value }.count == 1, "one copy of '\(value)': \(values)")
            }
        }
    }
}
