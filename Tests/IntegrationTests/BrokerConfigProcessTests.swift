import Foundation
import Testing

/// The broker config table as a user meets it: `sluice broker --help-config`, a real client's
/// DescribeConfigs on the broker, and start-up refusing a bad value.
@Suite(.onTestThreads) struct BrokerConfigProcessTests {
    enum Client: String, CaseIterable, CustomTestStringConvertible {
        case confluent, kafkaPython = "kafka_python"
        var testDescription: String { rawValue }
        var available: Bool { self == .confluent ? Clients.confluentKafka : Clients.kafkaPython }
    }

    /// The `--help-config --json` entries, by name.
    static func helpEntries() async throws -> [String: [String: Any]] {
        let output = try await SluiceCLI.ok(["broker", "--help-config", "--json"], bootstrap: nil)
        let entries = try #require(try SluiceCLI.json(output) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: entries.map { ($0["name"] as? String ?? "", $0) })
    }

    @Test func helpConfigPrintsTheTableAlignedAndAsJSON() async throws {
        let entries = try await Self.helpEntries()
        #expect(entries.count > 100)
        for (name, entry) in entries {
            #expect((entry["documentation"] as? String)?.isEmpty == false, "\(name) is documented")
            #expect(["read-only", "per-broker", "cluster-wide"].contains(entry["update_mode"] as? String), "\(name)")
            #expect(["boolean", "string", "int", "short", "long", "double", "list", "class", "password"]
                .contains(entry["type"] as? String), "\(name)")
        }
        #expect(entries["log.retention.ms"]?["synonyms"] as? [String] == ["log.retention.ms", "log.retention.minutes", "log.retention.hours"])
        #expect(entries["num.network.threads"]?["used"] as? Bool == false && entries["num.io.threads"]?["used"] as? Bool == true)
        #expect(entries["node.id"]?["kafka_default"] as? String == "-1")

        let text = try await SluiceCLI.ok(["broker", "--help-config"], bootstrap: nil).stdout
        let lines = text.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        #expect(header.split(separator: " ", omittingEmptySubsequences: true)
                == ["NAME", "TYPE", "DEFAULT", "UPDATE", "MODE", "SLUICE", "DESCRIPTION"])
        let rows = lines.dropFirst().filter { entries[String($0.prefix { $0 != " " })] != nil }
        #expect(rows.count == entries.count, "one row per key")
        let columns = ["TYPE", "DEFAULT", "UPDATE MODE", "SLUICE", "DESCRIPTION"].map { header.range(of: $0)!.lowerBound.utf16Offset(in: header) }
        for row in rows {
            for column in columns {
                let index = row.index(row.startIndex, offsetBy: column)
                #expect(row[row.index(before: index)] == " " && row[index] != " ", "aligned: \(row)")
            }
        }
        let retention = try #require(rows.first { $0.hasPrefix("log.retention.ms ") })
        #expect(retention.split(separator: " ", omittingEmptySubsequences: true).prefix(5).joined(separator: " ")
                == "log.retention.ms long null cluster-wide used")
    }

    @Test(.enabled(if: Clients.shouldRun(Client.allCases.allSatisfy(\.available)), "a Python Kafka client is not installed"),
          arguments: Client.allCases)
    func aClientDescribesTheBrokersConfigsWithTheirSources(_ client: Client) async throws {
        let probe = try BrokerProcess()
        let file = probe.dataDirectory + "/broker.properties"
        try """
            node.id=7
            listeners=PLAINTEXT://127.0.0.1:0
            log.dirs=\(probe.dataDirectory)/data
            num.partitions=3
            log.retention.minutes=30
            ssl.keystore.password=hunter2
            made.up.key=1
            """.write(toFile: file, atomically: true, encoding: .utf8)
        try await BrokerProcess.with(arguments: ["--config", file, "--exit-with-parent"]) { broker in
            let output = try await ClientRunner.python("describe_broker_configs.py", [client.rawValue, "--bootstrap", broker.bootstrap, "--broker", "7"])
            let configs = Dictionary(uniqueKeysWithValues: output.records.map { ($0["name"] as? String ?? "", $0) })
            #expect(Set(configs.keys) == Set(try await Self.helpEntries().keys), "the keys of --help-config, no more, no fewer")

            let partitions = try #require(configs["num.partitions"])
            #expect(partitions["value"] as? String == "3" && partitions["source"] as? String == "STATIC_BROKER_CONFIG")
            #expect((partitions["synonyms"] as? [[Any]])?.contains { $0[1] as? String == "1" && $0[2] as? String == "DEFAULT_CONFIG" } == true)
            let autoCreate = try #require(configs["auto.create.topics.enable"])
            #expect(autoCreate["value"] as? String == "true" && autoCreate["source"] as? String == "DEFAULT_CONFIG")
            #expect(autoCreate["read_only"] as? Bool == true)
            let minutes = try #require(configs["log.retention.minutes"])
            #expect(minutes["value"] as? String == "30" && minutes["source"] as? String == "STATIC_BROKER_CONFIG")
            #expect(configs["log.retention.hours"]?["source"] as? String == "DEFAULT_CONFIG")
            let password = try #require(configs["ssl.keystore.password"])
            #expect(password["value"] is NSNull && password["sensitive"] as? Bool == true)
            #expect(!output.stdout.contains("hunter2"))
        }
    }

    @Test func aBadValueStopsStartUpNamingTheKeyTheValueAndWhatIsAllowed() async throws {
        let flag = try BrokerProcess(extraArguments: ["--set", "num.partitions=zero"])
        await #expect(throws: BrokerProcess.Failure.self) { try await flag.start() }
        #expect(flag.process?.terminationStatus == 78, "EX_CONFIG")
        #expect(flag.stderrTail().contains("invalid value for num.partitions: 'zero' (expected an int of at least 1)"))

        let probe = try BrokerProcess()
        let file = probe.dataDirectory + "/broker.properties"
        try "log.segment.bytes=5\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try BrokerProcess(extraArguments: ["--config", file])
        await #expect(throws: BrokerProcess.Failure.self) { try await fromFile.start() }
        #expect(fromFile.process?.terminationStatus == 78)
        #expect(fromFile.stderrTail().contains("log.segment.bytes: '5' (expected an int of at least 14)"))
        #expect(!fromFile.isRunning)
    }
}
