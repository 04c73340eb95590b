import Foundation
import Testing

/// `sluice topic` and `sluice cluster describe` against a real `sluice broker` process: what a
/// user types, what they read, and the exit codes scripts rely on.
@Suite(.serialized, .onTestThreads) struct CommandLineTopicTests {
    @Test func topicLifecycle() async throws {
        let broker = try await SharedBroker.get()
        let b = broker.bootstrap
        let topic = SharedBroker.topic("cli-topic")
        let created = try await SluiceCLI.ok(["topic", "create", topic, "--partitions", "3", "--config", "retention.ms=3600000"], bootstrap: b)
        #expect(created.stderr.contains("created topic '\(topic)'"))

        // Creating it again names the Kafka error and what to do; --if-not-exists makes it a no-op.
        let again = try await SluiceCLI.run(["topic", "create", topic, "-p", "3"], bootstrap: b)
        #expect(again.status == 1)
        #expect(again.stderr.contains("TOPIC_ALREADY_EXISTS (36): topic '\(topic)' already exists — see it with `sluice topic describe \(topic)`"))
        try await SluiceCLI.ok(["topic", "create", topic, "--if-not-exists"], bootstrap: b)

        let list = try await SluiceCLI.ok(["topic", "list"], bootstrap: b)
        let row = list.lines.first { $0.hasPrefix(topic + " ") }
        #expect(row?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [topic, "3", "1"])
        #expect(list.lines.first?.hasPrefix("TOPIC") == true)
        let listed = try SluiceCLI.json(try await SluiceCLI.ok(["topic", "list", "--json"], bootstrap: b)) as! [[String: Any]]
        #expect(listed.contains { $0["name"] as? String == topic && $0["partitions"] as? Int == 3 })

        try await SluiceCLI.ok(["produce", topic, "--partition", "1"], bootstrap: b, input: "a\nb\nc\n")
        let describe = try await SluiceCLI.ok(["topic", "describe", topic], bootstrap: b)
        #expect(describe.stdout.contains("partitions: 3"))
        let partitionRow = describe.lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("1 ") }
        #expect(partitionRow?.split(separator: " ").map(String.init) == ["1", "1", "1", "1", "0", "3", "3"])
        #expect(describe.lines.contains { $0.hasPrefix("retention.ms") && $0.contains("3600000") })

        try await SluiceCLI.ok(["topic", "alter-config", topic, "--set", "retention.ms=7200000", "--set", "cleanup.policy=compact"], bootstrap: b)
        let described = try SluiceCLI.json(try await SluiceCLI.ok(["topic", "describe", topic, "--json"], bootstrap: b)) as! [String: Any]
        let configs = described["configs"] as! [String: Any]
        #expect(configs["retention.ms"] as? String == "7200000")
        #expect(configs["cleanup.policy"] as? String == "compact")
        let partitions = described["partitions"] as! [[String: Any]]
        #expect(partitions.map { $0["latestOffset"] as? Int } == [0, 3, 0])
        try await SluiceCLI.ok(["topic", "alter-config", topic, "--delete", "cleanup.policy"], bootstrap: b)
        let reverted = try SluiceCLI.json(try await SluiceCLI.ok(["topic", "describe", topic, "--json"], bootstrap: b)) as! [String: Any]
        #expect((reverted["configs"] as! [String: Any])["cleanup.policy"] == nil)

        let bad = try await SluiceCLI.run(["topic", "alter-config", topic, "--set", "retention.ms=soon"], bootstrap: b)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("INVALID_CONFIG (40)"))

        try await SluiceCLI.ok(["topic", "delete", topic], bootstrap: b)
        let gone = try await SluiceCLI.run(["topic", "describe", topic], bootstrap: b)
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("UNKNOWN_TOPIC_OR_PARTITION (3): topic '\(topic)' does not exist — create it with `sluice topic create \(topic)`"))
        #expect(try await SluiceCLI.run(["topic", "delete", topic], bootstrap: b).status == 1)
        try await SluiceCLI.ok(["topic", "delete", topic, "--if-exists"], bootstrap: b)
    }

    /// Internal topics are refused before anything is deleted (exit 1, saying why); the other
    /// topics named with them stay.
    @Test func internalTopicsAreNotDeleted() async throws {
        let broker = try await SharedBroker.get()
        let b = broker.bootstrap
        let topic = SharedBroker.topic("cli-keep")
        try await SluiceCLI.ok(["topic", "create", topic], bootstrap: b)
        for name in ["__consumer_offsets", "__transaction_state", "__cluster_metadata"] {
            let refused = try await SluiceCLI.run(["topic", "delete", topic, name], bootstrap: b)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("refusing to delete: \(name) is a Kafka internal topic and cannot be deleted"),
                    "\(refused.stderr)")
        }
        let list = try await SluiceCLI.ok(["topic", "list"], bootstrap: b)
        #expect(list.lines.contains { $0.hasPrefix(topic + " ") })
        try await SluiceCLI.ok(["topic", "delete", topic], bootstrap: b)
    }

    @Test func usageErrorsExit64() async throws {
        let broker = try await SharedBroker.get()
        #expect(try await SluiceCLI.run(["topic", "create", "x", "--partitions", "0"], bootstrap: broker.bootstrap).status == 64)
        #expect(try await SluiceCLI.run(["consume", "x", "--offset", "1", "--from-beginning"], bootstrap: broker.bootstrap).status == 64)
        #expect(try await SluiceCLI.run(["topic", "list", "--bootstrap", "host:notaport"], bootstrap: nil).status == 64)
    }

    @Test func clusterDescribe() async throws {
        let broker = try await SharedBroker.get()
        let table = try await SluiceCLI.ok(["cluster", "describe", "--log-dirs"], bootstrap: broker.bootstrap)
        #expect(table.lines.first?.hasPrefix("cluster: ") == true)
        #expect(table.lines.contains { $0.split(separator: " ").map(String.init) == ["1", "127.0.0.1", String(broker.port), "-", "controller"] })
        #expect(table.stdout.contains(broker.dataDirectory))
        let json = try SluiceCLI.json(try await SluiceCLI.ok(["cluster", "describe", "--json"], bootstrap: broker.bootstrap)) as! [String: Any]
        #expect(json["controller"] as? Int == 1)
        #expect((json["brokers"] as? [[String: Any]])?.first?["port"] as? Int == broker.port)
    }

    @Test func bootstrapComesFromTheEnvironmentThenTheDataDirectoryFile() async throws {
        let broker = try await SharedBroker.get()
        // $SLUICE_BOOTSTRAP (SluiceCLI sets it).
        try await SluiceCLI.ok(["cluster", "describe"], bootstrap: broker.bootstrap)
        // No variable: the local cluster's bootstrap file under $XDG_DATA_HOME/sluice.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-xdg-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: home + "/sluice", withIntermediateDirectories: true)
        try "\(broker.bootstrap)\n".write(toFile: home + "/sluice/bootstrap", atomically: true, encoding: .utf8)
        let fromFile = try await SluiceCLI.run(["cluster", "describe"], bootstrap: nil, environment: ["XDG_DATA_HOME": home])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
    }

    @Test func anUnreachableClusterExits2WithAHint() async throws {
        let port = try freePort()
        let output = try await SluiceCLI.run(["topic", "list", "--timeout", "5"], bootstrap: "127.0.0.1:\(port)")
        #expect(output.status == 2)
        #expect(output.stderr.contains("could not reach the cluster at 127.0.0.1:\(port) (from $SLUICE_BOOTSTRAP)"))
        #expect(output.stderr.contains("connection refused"))
        #expect(output.stderr.contains("sluice cluster up"))
    }
}

/// A TCP port nothing listens on (bound, then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
