import Foundation
import KafkaProtocol
import NIOPosix
import SluiceClient
import Testing

/// `sluice group` and `sluice consume --group`. Consumer groups need the broker's group
/// coordinator: when the broker does not advertise FindCoordinator, the commands must say so
/// (UNSUPPORTED_VERSION, exit 3); when it does, the whole group workflow runs end to end.
@Suite(.serialized) struct CommandLineGroupTests {
    static func brokerSupportsGroups(_ bootstrap: String) async throws -> Bool {
        let client = KafkaClient(configuration: ClientConfiguration(bootstrapServers: try BrokerAddress.parseList(bootstrap)))
        defer { Task { await client.close() } }
        return try await client.anyConnection().versions.supports(.findCoordinator)
    }

    @Test func groupCommands() async throws {
        let b = try SharedBroker.get().bootstrap
        let topic = SharedBroker.topic("cli-group")
        let group = "g-" + topic
        try SluiceCLI.ok(["topic", "create", topic, "-p", "2"], bootstrap: b)
        try SluiceCLI.ok(["produce", topic, "-k", ":"], bootstrap: b, input: (0..<10).map { "k\($0):v\($0)" }.joined(separator: "\n"))

        guard try await Self.brokerSupportsGroups(b) else {
            for args in [["group", "list"], ["group", "describe", group], ["group", "lag", group],
                         ["consume", topic, "--group", group, "-n", "1"]] {
                let out = try SluiceCLI.run(args, bootstrap: b)
                #expect(out.status == 3, "sluice \(args.joined(separator: " ")): \(out.stderr)")
                #expect(out.stderr.contains("UNSUPPORTED_VERSION (35)"))
            }
            return
        }

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
}
