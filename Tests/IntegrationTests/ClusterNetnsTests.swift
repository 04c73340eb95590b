import Foundation
import KafkaProtocol
import Testing

/// Three brokers on three "machines": network namespaces joined by a bridge (`NetnsCluster`),
/// each broker with the same ports on its own address (10.200.S.1-3), configured as a real
/// deployment would be (`listeners`, `advertised.listeners`, `controller.quorum.voters` with those
/// addresses). The test process reaches them through the bridge. Needs root and `ip netns`;
/// skipped, saying why, otherwise. Everything it creates is removed at the end.
@Suite(.serialized, .onTestThreads) struct ClusterNetnsTests {
    @Test func threeBrokersInSeparateNetworkNamespaces() async throws {
        _ = try await NetnsCluster.with(properties: ["broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500"],
                                        firewall: false) { cluster in
            let metadata = try await cluster.metadata(from: 2)
            // Each broker is advertised at its own machine's address, with its rack.
            #expect(Set(metadata.brokers.map(\.host)) == Set(cluster.ids.map(cluster.address)), "\(cluster.logs())")
            #expect(metadata.brokers.allSatisfy { $0.port == 9092 && $0.rack == "rack-\($0.nodeId)" })

            // A client outside the namespaces creates an RF=3 topic, produces and consumes.
            if Clients.shouldRun(Clients.confluentKafka) {
                let bootstrap = "\(cluster.address(1)):9092"
                _ = try await ClientRunner.python("cluster_client.py", ["create", bootstrap, "spread", "3", "3"], timeout: 60)
                let produced = try await ClientRunner.python("cluster_client.py", ["produce", bootstrap, "spread", "2"], timeout: 90)
                let stats = try #require(produced.records.last)
                #expect((stats["errors"] as? [String])?.isEmpty == true && (stats["delivered"] as? Int ?? 0) > 0, "\(stats)")
                let described = try await ClientRunner.python("cluster_client.py", ["describe", bootstrap, "spread"], timeout: 30)
                let partitions = try #require(described.records.first?["partitions"] as? [String: [Any]])
                // Rack-aware placement: three racks, three replicas, each partition on all three.
                #expect(partitions.count == 3 && partitions.values.allSatisfy { ($0[1] as? [Int])?.sorted() == [1, 2, 3] })
            }
        }
    }
}
