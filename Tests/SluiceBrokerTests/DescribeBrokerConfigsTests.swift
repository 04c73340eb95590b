import KafkaProtocol
import Testing
@testable import SluiceBroker

/// DescribeConfigs on BROKER resources through an in-process broker: every key of the table with
/// its value, source, synonyms, type and documentation; and the broker defaults a topic inherits.
@Suite(.onTestThreads) struct DescribeBrokerConfigsTests {
    typealias Entry = DescribeConfigsResponse.DescribeConfigsResourceResult

    static let given: [(key: String, value: String)] = [
        ("num.partitions", "3"), ("log.retention.minutes", "30"), ("ssl.keystore.password", "hunter2"),
        ("auto.create.topics.enable", "FALSE"),
    ]

    func describe(_ connection: RawKafkaConnection, _ resources: [DescribeConfigsRequest.DescribeConfigsResource],
                  version: Int16 = 4, documentation: Bool = false) async throws -> DescribeConfigsResponse {
        try await connection.roundTrip(DescribeConfigsRequest(resources: resources, includeSynonyms: version >= 1,
                                                        includeDocumentation: documentation), version: version)
    }

    @Test func everyKeyWithItsSourceSynonymsTypeAndDocumentation() async throws {
        try await BrokerFixture.with(configure: { config in _ = try! config.apply(Self.given) }) { fixture in
            let connection = try await fixture.connect()
            let response = try await describe(connection, [.init(resourceType: 4, resourceName: "1", configurationKeys: nil)],
                                        documentation: true)
            #expect(response.results.map(\.errorCode) == [0])
            let entries = Dictionary(uniqueKeysWithValues: response.results[0].configs.map { ($0.name, $0) })
            #expect(entries.keys.sorted() == BrokerConfigKey.table.map(\.name), "every key of the table, nothing else")
            for key in BrokerConfigKey.table {
                let entry = try #require(entries[key.name])
                #expect(entry.configType == key.type.wireValue && entry.documentation == key.documentation, "\(key.name)")
                #expect(entry.readOnly == (key.updateMode == .readOnly), "\(key.name): read-only unless Kafka can change it dynamically")
            }

            let partitions = try #require(entries["num.partitions"])
            #expect(partitions.value == "3" && partitions.configSource == 4)
            #expect(partitions.synonyms.map { [$0.name, $0.value, "\($0.source)"] }
                    == [["num.partitions", "3", "4"], ["num.partitions", "1", "5"]])

            let autoCreate = try #require(entries["auto.create.topics.enable"])
            #expect(autoCreate.value == "false" && autoCreate.configSource == 4, "the value as Kafka prints it")
            let deleteTopic = try #require(entries["delete.topic.enable"])
            #expect(deleteTopic.value == "true" && deleteTopic.configSource == 5)
            #expect(deleteTopic.synonyms.map(\.source) == [5])

            let password = try #require(entries["ssl.keystore.password"])
            #expect(password.isSensitive && password.value == nil && password.configSource == 4)
            #expect(password.synonyms.map(\.value) == [nil], "passwords are masked in synonyms too")

            // Time units: the minutes key is given. The ms key shows the retention in force and where it
            // comes from; the hours key its own default, as Kafka shows it.
            let minutes = try #require(entries["log.retention.minutes"])
            #expect(minutes.value == "30" && minutes.configSource == 4)
            #expect(minutes.synonyms.map(\.name) == ["log.retention.minutes", "log.retention.hours"])
            let millis = try #require(entries["log.retention.ms"])
            #expect(millis.value == "1800000" && millis.configSource == 4)
            #expect(millis.synonyms.map { "\($0.name)=\($0.value ?? "null")@\($0.source)" }
                    == ["log.retention.minutes=30@4", "log.retention.hours=168@5"])
            let hours = try #require(entries["log.retention.hours"])
            #expect(hours.value == "168" && hours.configSource == 5 && hours.synonyms.map(\.source) == [5])
            let roll = try #require(entries["log.roll.ms"])
            #expect(roll.value == "604800000" && roll.configSource == 5 && roll.synonyms.map(\.name) == ["log.roll.hours"])
            #expect(entries["message.max.bytes"]?.value == "1048588" && entries["listeners"]?.value?.hasPrefix("PLAINTEXT://127.0.0.1:") == true)

            // Without include_documentation, or before v3: no documentation; before v1: is_default.
            let plain = try await describe(connection, [.init(resourceType: 4, resourceName: "1", configurationKeys: ["num.partitions"])])
            #expect(plain.results[0].configs.map(\.documentation) == [nil])
            let v0 = try await describe(connection, [.init(resourceType: 4, resourceName: "1",
                                                     configurationKeys: ["num.partitions", "delete.topic.enable"])], version: 0)
            #expect(v0.results[0].configs.map { "\($0.name)=\($0.isDefault)" } == ["delete.topic.enable=true", "num.partitions=false"])
        }
    }

    @Test func otherBrokerNamesAndTheClusterDefault() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            let response = try await describe(connection, [
                .init(resourceType: 4, resourceName: "", configurationKeys: nil),
                .init(resourceType: 4, resourceName: "2", configurationKeys: nil),
                .init(resourceType: 4, resourceName: "one", configurationKeys: nil),
                .init(resourceType: 4, resourceName: "1", configurationKeys: ["no.such.key", "num.io.threads"]),
            ])
            #expect(response.results.map(\.errorCode) == [0, ErrorCode.invalidRequest.rawValue, ErrorCode.invalidRequest.rawValue, 0])
            #expect(response.results[0].configs.isEmpty, "no dynamic cluster-wide defaults")
            #expect(response.results[2].errorMessage?.contains("must be an integer") == true)
            #expect(response.results[3].configs.map(\.name) == ["num.io.threads"])
            #expect(response.results[3].configs.first?.value == "2", "the value in force (the fixture sets it)")
        }
    }

    @Test func aTopicShowsTheBrokerDefaultsItInherits() async throws {
        try await BrokerFixture.with(configure: { config in
            _ = try! config.apply([("log.retention.minutes", "30"), ("log.segment.bytes", "2000000")])
        }) { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(
                name: "t", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "segment.bytes", value: "1000000")])]),
                version: 4)
            let response = try await describe(connection, [.init(resourceType: 2, resourceName: "t",
                                                           configurationKeys: ["retention.ms", "segment.bytes", "max.message.bytes"])],
                                        documentation: true)
            let entries = Dictionary(uniqueKeysWithValues: response.results[0].configs.map { ($0.name, $0) })
            let retention = try #require(entries["retention.ms"])
            #expect(retention.value == "1800000" && retention.configSource == 4)
            #expect(retention.synonyms.map { "\($0.name)=\($0.value ?? "null")@\($0.source)" }
                    == ["log.retention.minutes=30@4", "log.retention.hours=168@5"])
            let segment = try #require(entries["segment.bytes"])
            #expect(segment.value == "1000000" && segment.configSource == 1)
            #expect(segment.synonyms.map(\.source) == [1, 4, 5])
            let maxMessage = try #require(entries["max.message.bytes"])
            #expect(maxMessage.configSource == 5 && maxMessage.synonyms.map(\.name) == ["message.max.bytes"])
            #expect(maxMessage.configType == 3 && maxMessage.documentation?.hasPrefix("The largest record batch") == true)
        }
    }
}
