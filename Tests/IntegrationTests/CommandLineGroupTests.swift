import Foundation
import KafkaProtocol
import SluiceClient
import Testing

/// `sluice group` and `sluice consume --group`: the whole group workflow end to end against the
/// broker's group coordinator. A broker without consumer groups fails this test.
@Suite(.serialized, .onTestThreads) struct CommandLineGroupTests {
    @Test func groupCommands() async throws {
        let b = try await SharedBroker.get().bootstrap
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
        try await SluiceCLI.ok(["topic", "create", topic, "-p", "2"], bootstrap: b)
        try await SluiceCLI.ok(["produce", topic, "-k", ":"], bootstrap: b, input: (0..<10).map { "k\($0):v\($0)" }.joined(separator: "\n"))

        // Consume 6 of the 10 records as a group member; the group commits on exit.
        let first = try await SluiceCLI.ok(["consume", topic, "--group", group, "--from-beginning", "-n", "6", "-k", ":"], bootstrap: b)
        #expect(first.lines.count == 6)
        let list = try await SluiceCLI.ok(["group", "list"], bootstrap: b)
        #expect(list.lines.contains { $0.hasPrefix(group + " ") })
        let lag = try SluiceCLI.json(try await SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any]
        #expect(lag["totalLag"] as? Int == 4)
        // The rest, from the committed offsets.
        let rest = try await SluiceCLI.ok(["consume", topic, "--group", group, "-n", "4", "-k", ":"], bootstrap: b)
        #expect(Set(first.lines + rest.lines) == Set((0..<10).map { "k\($0):v\($0)" }))
        let describe = try await SluiceCLI.ok(["group", "describe", group], bootstrap: b)
        #expect(describe.stdout.contains("group: \(group)"))

        // Reset to the start: a dry run changes nothing, --execute commits.
        let dry = try await SluiceCLI.ok(["group", "reset-offsets", group, "--topic", topic, "--to-earliest"], bootstrap: b)
        #expect(dry.stderr.contains("dry run"))
        #expect((try SluiceCLI.json(try await SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any])["totalLag"] as? Int == 0)
        try await SluiceCLI.ok(["group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute"], bootstrap: b)
        #expect((try SluiceCLI.json(try await SluiceCLI.ok(["group", "lag", group, "--json"], bootstrap: b)) as! [String: Any])["totalLag"] as? Int == 10)
        let again = try await SluiceCLI.ok(["consume", topic, "--group", group, "-n", "10"], bootstrap: b)
        #expect(again.lines.count == 10)
    }
}
