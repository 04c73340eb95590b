import Foundation
import KafkaProtocol
import Testing

/// Three brokers on three "machines": network namespaces joined by a bridge, each broker with
/// the same ports on its own address (10.200.S.1-3), configured as a real deployment would be
/// (`listeners`, `advertised.listeners`, `controller.quorum.voters` with those addresses). The
/// test process reaches them through the bridge. Needs root and `ip netns`; skipped, saying why,
/// otherwise. Everything it creates is removed at the end.
@Suite(.serialized, .onTestThreads) struct ClusterNetnsTests {
    static let script = ClientRunner.clientsDirectory.appendingPathComponent("netns.sh").path

    @Test func threeBrokersInSeparateNetworkNamespaces() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else {
            print("skipped: network namespaces need root and iproute2")
            return
        }
        let subnet = Int.random(in: 1...250)
        let prefix = "sl\(String(UUID().uuidString.prefix(6)).lowercased())"
        let setUp = try await ClientRunner.run("bash", [Self.script, "up", prefix, String(subnet), "3"], timeout: 30)
        try await withResource(prefix, stop: { _ = try? await ClientRunner.run("bash", [Self.script, "down", $0, "3"], timeout: 30) }) { prefix in
            guard setUp.status == 0 else {
                print("skipped: cannot create network namespaces here: \(setUp.stderr)")
                return
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-netns-\(prefix)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let address = { (i: Int) in "10.200.\(subnet).\(i)" }
            let voters = (1...3).map { "\($0)@\(address($0)):9093" }.joined(separator: ",")
            let processes = (1...3).map { i in
                ChildProcess("/usr/bin/env", ["ip", "netns", "exec", "\(prefix)-\(i)", BrokerProcess.binary, "broker",
                                              "--config", "\(directory)/broker-\(i).properties", "--exit-with-parent"])
            }
            try await withResource(processes, stop: { processes in
                for p in processes { p.signal(SIGTERM) }
                for p in processes { await p.stop(grace: .seconds(15)) }
            }) { processes in
                for i in 1...3 {
                    let properties = """
                        node.id=\(i)
                        process.roles=broker,controller
                        controller.quorum.voters=\(voters)
                        listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://\(address(i)):9093
                        advertised.listeners=PLAINTEXT://\(address(i)):9092
                        controller.listener.names=CONTROLLER
                        broker.rack=rack-\(i)
                        log.dirs=\(directory)/broker-\(i)
                        default.replication.factor=3
                        broker.session.timeout.ms=3000
                        broker.heartbeat.interval.ms=500
                        """
                    try properties.write(toFile: "\(directory)/broker-\(i).properties", atomically: true, encoding: .utf8)
                    let process = processes[i - 1]
                    let log = "\(directory)/broker-\(i).log"
                    FileManager.default.createFile(atPath: log, contents: nil)
                    // One handle for both streams: two would each write from offset 0 over the other.
                    let processLog = FileHandle(forWritingAtPath: log)
                    process.process.standardOutput = processLog
                    process.process.standardError = processLog
                    try await process.start()
                }
                let logs = { (1...3).map { (try? String(contentsOfFile: "\(directory)/broker-\($0).log", encoding: .utf8)) ?? "" }.joined(separator: "\n---\n") }
                var metadata = MetadataResponse()
                try await ClusterHarness.waitFor("three brokers across the namespaces", seconds: 60) {
                    let connection = try await RawKafkaConnection(host: address(2), port: 9092, timeoutSeconds: 3)
                    metadata = try await connection.roundTrip(MetadataRequest(topics: nil), version: 12)
                    return metadata.brokers.count == 3 && metadata.controllerId > 0
                }
                // Each broker is advertised at its own machine's address, with its rack.
                #expect(Set(metadata.brokers.map(\.host)) == Set((1...3).map(address)), "\(logs())")
                #expect(metadata.brokers.allSatisfy { $0.port == 9092 && $0.rack == "rack-\($0.nodeId)" })

                // A client outside the namespaces creates an RF=3 topic, produces and consumes.
                if Clients.shouldRun(Clients.confluentKafka) {
                    let bootstrap = "\(address(1)):9092"
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
}
