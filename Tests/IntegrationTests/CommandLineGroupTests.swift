import Foundation
import KafkaProtocol
import SluiceBase
import SluiceClient
import Testing

/// `sluice group` and `sluice consume --group`: the whole group workflow end to end against the
/// broker's group coordinator. A broker without consumer groups fails this test.
@Suite(.serialized) struct CommandLineGroupTests {
    @Test func groupCommands() async throws {
        let b = try SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-group")
        let group = "g-" + topic
        // Consumer groups are part of the broker: one that does not advertise their APIs fails here, saying so.
        let client = KafkaClient(configuration: ClientConfiguration(bootstrapServers: try BrokerAddress.parseList(b)))
        let versions = try await client.anyConnection().versions
        await client.close()
        let groupAPIs: [ApiKey] = [.findCoordinator, .joinGroup, .syncGroup, .heartbeat, .leaveGroup, .offsetCommit,
                                   .offsetFetch, .listGroups, .describeGroups]
        try #require(groupAPIs.allSatisfy { versions.supports($0) },
                     "the broker does not advertise \(groupAPIs.filter { !versions.supports($0) })")
        try SluiceCLI.ok(["topic", "create", topic, "-p", "2"], bootstrap: b)
        try SluiceCLI.ok(["produce", topic, "-k", ":"], bootstrap: b, input: (0..<10).map { "k\($0):v\($0)" }.joined(separator: "\n"))

        // Consume 6 of the 10 records as a group member; the group commits on exit.
        let first = try SluiceCLI.ok(["consume", topic, "--group", group, "--from-beginning", "-n", "6", "-k", ":"], bootstrap: b)
        #expect(first.lines.count == 6)
        let list = try SluiceCLI.ok(["group", "list"], bootstrap: b)
        #expect(list.lines.contains { $0.hasPrefix(group + " ") })
        let lag = try SluiceCLI.json(try SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any]
        #expect(lag["totalLag"] as? Int == 4)
        // The rest, from the committed offsets.
        let rest = try SluiceCLI.ok(["consume", topic, "--group", group, "-n", "4", "-k", ":"], bootstrap: b)
        #expect(Set(first.lines + rest.lines) == Set((0..<10).map { "k\($0):v\($0)" }))
        let describe = try SluiceCLI.ok(["group", "describe", group], bootstrap: b)
        #expect(describe.stdout.contains("group: \(group)"))

        // Reset to the start: a dry run changes nothing, --execute commits.
        let dry = try SluiceCLI.ok(["group", "reset-offsets", group, "--topic", topic, "--to-earliest"], bootstrap: b)
        #expect(dry.stderr.contains("dry run"))
        #expect((try SluiceCLI.json(try SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any])["totalLag"] as? Int == 0)
        try SluiceCLI.ok(["group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute"], bootstrap: b)
        #expect((try SluiceCLI.json(try SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any])["totalLag"] as? Int == 10)
        let again = try SluiceCLI.ok(["consume", topic, "--group", group, "-n", "10"], bootstrap: b)
        #expect(again.lines.count == 10)
    }

    /// `sluice consume --group G --group-protocol consumer` (KIP-848) and what `sluice group`
    /// shows of such a group: its type, member epochs, current and target assignments.
    @Test func consumerProtocolGroup() async throws {
        let b = try SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-kip848")
        let group = "g-" + topic
        try SluiceCLI.ok(["topic", "create", topic, "-p", "2"], bootstrap: b)
        try SluiceCLI.ok(["produce", topic, "-k", ":"], bootstrap: b, input: (0..<10).map { "k\($0):v\($0)" }.joined(separator: "\n"))

        let first = try SluiceCLI.ok(["consume", topic, "--group", group, "--group-protocol", "consumer", "--from-beginning",
                                      "-n", "6", "-k", ":"], bootstrap: b)
        #expect(first.lines.count == 6)
        let lag = try SluiceCLI.json(try SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any]
        #expect(lag["totalLag"] as? Int == 4)
        let rest = try SluiceCLI.ok(["consume", topic, "--group", group, "--group-protocol", "consumer", "-n", "4", "-k", ":"],
                                    bootstrap: b)
        #expect(Set(first.lines + rest.lines) == Set((0..<10).map { "k\($0):v\($0)" }))
        let list = try SluiceCLI.json(try SluiceCLI.ok(["group", "list", "--json"], bootstrap: b)) as! [[String: Any]]
        #expect(list.first { $0["group"] as? String == group }?["type"] as? String == "consumer")

        // A member that stays: the group shows it with its epoch, holding its whole target.
        let member = Process()
        // Through the wrapper that clears the signal mask inherited from the test runner, so that
        // SIGINT reaches it (Ctrl-C: commit, leave, exit 0).
        member.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        member.arguments = ["python3", "-c", GroupMember.execUnblocked, BrokerProcess.binary, "consume", topic, "--group", group, "--group-protocol", "consumer", "--remote-assignor", "range"]
        member.environment = ["SLUICE_BOOTSTRAP": b, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]
        member.standardOutput = FileHandle.nullDevice
        member.standardError = FileHandle.nullDevice
        try member.run()
        defer { if member.isRunning { kill(member.processIdentifier, SIGKILL) } }
        var described: [String: Any] = [:]
        try GroupBroker.waitUntil("the member holding its target, now \(described)") {
            described = try SluiceCLI.json(try SluiceCLI.ok(["group", "describe", group, "--json"], bootstrap: b)) as! [String: Any]
            let members = described["members"] as? [[String: Any]] ?? []
            return members.count == 1 && (members[0]["partitions"] as? [String])?.count == 2
                && (members[0]["memberEpoch"] as? Int ?? 0) > 0
                && members[0]["partitions"] as? [String] == members[0]["targetPartitions"] as? [String]
        }
        #expect(described["type"] as? String == "consumer" && described["state"] as? String == "Stable")
        #expect(described["assignor"] as? String == "range")
        #expect((described["groupEpoch"] as? Int ?? 0) >= 1 && described["assignmentEpoch"] as? Int == described["groupEpoch"] as? Int)
        let text = try SluiceCLI.ok(["group", "describe", group], bootstrap: b).stdout
        #expect(text.contains("type: consumer") && text.contains("EPOCH") && text.contains("TARGET"), "\(text)")
        kill(member.processIdentifier, SIGINT)
        _ = BrokerProcess.waitForExit(member, seconds: 20)
        #expect(member.terminationStatus == 0)
    }
}
