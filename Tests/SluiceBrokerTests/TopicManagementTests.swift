import KafkaProtocol
import NIOCore
import Testing
@testable import SluiceBroker

@Suite(.onTestThreads) struct TopicManagementTests {
    @Test func metadataAutoCreatesValidTopicsWhenAllowed() async throws {
        try await BrokerFixture.with(configure: { $0.numPartitions = 3 }) { fixture in
            let connection = try await fixture.connect()
            let created = try await connection.roundTrip(MetadataRequest(topics: [.init(name: "orders"), .init(name: "bad name")]), version: 12)
            #expect(created.topics.map(\.errorCode) == [0, ErrorCode.invalidTopicException.rawValue])
            #expect(created.topics[0].partitions.count == 3)
            #expect(created.topics[0].topicId != .zero)
            #expect(created.topics[0].partitions.allSatisfy { $0.leaderId == 1 && $0.isrNodes == [1] && $0.leaderEpoch == 0 })
            #expect(created.brokers.map(\.port) == [Int32(fixture.port)])
            #expect(created.controllerId == 1 && created.clusterId?.isEmpty == false)

            let refused = try await connection.roundTrip(
                MetadataRequest(topics: [.init(name: "not-created")], allowAutoTopicCreation: false), version: 4)
            #expect(refused.topics.map(\.errorCode) == [ErrorCode.unknownTopicOrPartition.rawValue])

            // v0: empty list = all topics; v1+: empty = none, null = all.
            #expect(try await connection.roundTrip(MetadataRequest(topics: []), version: 0).topics.map(\.name) == ["orders"])
            #expect(try await connection.roundTrip(MetadataRequest(topics: []), version: 1).topics.isEmpty)
            #expect(try await connection.roundTrip(MetadataRequest(topics: nil), version: 9).topics.map(\.name) == ["orders"])
            // v12: by topic id.
            let byId = try await connection.roundTrip(MetadataRequest(topics: [.init(topicId: created.topics[0].topicId, name: nil)]), version: 12)
            #expect(byId.topics.map(\.name) == ["orders"])
        }
    }

    @Test func autoCreationCanBeDisabled() async throws {
        try await BrokerFixture.with(configure: { $0.autoCreateTopicsEnable = false }) { fixture in
            let response = try await fixture.connect().roundTrip(MetadataRequest(topics: [.init(name: "t")]), version: 4)
            #expect(response.topics.map(\.errorCode) == [ErrorCode.unknownTopicOrPartition.rawValue])
        }
    }

    @Test func createTopicsValidatesLikeKafka() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            func create(_ topic: CreateTopicsRequest.CreatableTopic, validateOnly: Bool = false) async throws -> CreateTopicsResponse.CreatableTopicResult {
                try await connection.roundTrip(CreateTopicsRequest(topics: [topic], timeoutMs: 1000, validateOnly: validateOnly), version: 7).topics[0]
            }
            let ok = try await create(.init(name: "t1", numPartitions: 2, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "1000")]))
            #expect(ok.errorCode == 0 && ok.numPartitions == 2 && ok.topicId != .zero)
            #expect(ok.configs?.first(where: { $0.name == "retention.ms" })?.value == "1000")
            #expect(try await create(.init(name: "t1", numPartitions: 1, replicationFactor: 1)).errorCode == ErrorCode.topicAlreadyExists.rawValue)
            #expect(try await create(.init(name: "t2", numPartitions: 1, replicationFactor: 3)).errorCode == ErrorCode.invalidReplicationFactor.rawValue)
            #expect(try await create(.init(name: "t2", numPartitions: 0, replicationFactor: 1)).errorCode == ErrorCode.invalidPartitions.rawValue)
            #expect(try await create(.init(name: "a/b", numPartitions: 1, replicationFactor: 1)).errorCode == ErrorCode.invalidTopicException.rawValue)
            #expect(try await create(.init(name: "t2", numPartitions: 1, replicationFactor: 1,
                                     configs: [.init(name: "retention.ms", value: "soon")])).errorCode == ErrorCode.invalidConfig.rawValue)
            #expect(try await create(.init(name: "t2", numPartitions: -1, replicationFactor: -1,
                                     assignments: [.init(partitionIndex: 0, brokerIds: [7])])).errorCode == ErrorCode.invalidReplicaAssignment.rawValue)
            let validated = try await create(.init(name: "t3", numPartitions: 4, replicationFactor: 1), validateOnly: true)
            #expect(validated.errorCode == 0 && validated.numPartitions == 4)
            #expect(fixture.broker.services.metadata.topic("t3") == nil)
            #expect(fixture.logs.allLogs.keys.filter { $0.topic == "t3" }.isEmpty)
        }
    }

    @Test func deleteAndGrowTopics() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "grow", numPartitions: 1, replicationFactor: 1)]), version: 4)
            let grown = try await connection.roundTrip(CreatePartitionsRequest(topics: [.init(name: "grow", count: 3, assignments: nil)]), version: 3)
            #expect(grown.results.map(\.errorCode) == [0])
            #expect(fixture.logs.allLogs.keys.filter { $0.topic == "grow" }.count == 3)
            let shrink = try await connection.roundTrip(CreatePartitionsRequest(topics: [.init(name: "grow", count: 2, assignments: nil)]), version: 0)
            #expect(shrink.results.map(\.errorCode) == [ErrorCode.invalidPartitions.rawValue])

            let deleted = try await connection.roundTrip(DeleteTopicsRequest(topicNames: ["grow", "never"]), version: 4)
            #expect(deleted.responses.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
            #expect(fixture.logs.allLogs.isEmpty)
        }
    }

    /// Internal topics are refused by the controller (so by every broker, which forwards
    /// DeleteTopics to it), by name and by id, with INVALID_TOPIC_EXCEPTION and a sentence saying
    /// why; `__consumer_offsets` and the groups' offsets in it stay.
    @Test func internalTopicsAreNotDeletable() async throws {
        try await BrokerFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(FindCoordinatorRequest(key: "g"), version: 0)  // creates __consumer_offsets
            let internalNames = ["__consumer_offsets", "__transaction_state", "__cluster_metadata"]
            let refused = try await connection.roundTrip(DeleteTopicsRequest(topicNames: internalNames), version: 5)
            #expect(refused.responses.map(\.errorCode) == Array(repeating: ErrorCode.invalidTopicException.rawValue, count: 3))
            for (name, result) in zip(internalNames, refused.responses) {
                #expect(result.errorMessage?.contains("Topic \(name) is a Kafka internal topic and is not allowed to be deleted") == true,
                        "\(result.errorMessage ?? "no message")")
            }
            let id = try #require(fixture.broker.services.metadata.topic("__consumer_offsets")?.id)
            let byID = try await connection.roundTrip(DeleteTopicsRequest(topics: [.init(name: nil, topicId: id)]), version: 6)
            #expect(byID.responses.map(\.errorCode) == [ErrorCode.invalidTopicException.rawValue])
            #expect(fixture.broker.services.metadata.topic("__consumer_offsets") != nil)
            #expect(!fixture.logs.allLogs.keys.filter { $0.topic == "__consumer_offsets" }.isEmpty)
        }
    }

    @Test func topicsAndProducerIdsSurviveRestart() async throws {
        let first = try await BrokerFixture.start()
        // Stopped keeping its directory, on every path: the second broker starts on it.
        let (created, id1) = try await withResource(first, stop: { await $0.stop(removeDirectory: false) }) { first in
            let connection = try await first.connect()
            let created = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "kept", numPartitions: 2, replicationFactor: 1)]),
                                                         version: 7)
            return (created, try await connection.roundTrip(InitProducerIdRequest(transactionalId: nil), version: 4).producerId)
        }

        try await BrokerFixture.with(directory: first.directory, logs: first.logs) { second in
            let again = try await second.connect()
            let metadata = try await again.roundTrip(MetadataRequest(topics: nil), version: 12)
            #expect(metadata.topics.map(\.name) == ["kept"])
            #expect(metadata.topics[0].topicId == created.topics[0].topicId)
            #expect(metadata.clusterId == first.broker.services.metadata.snapshot.clusterId)
            let id2 = try await again.roundTrip(InitProducerIdRequest(transactionalId: nil), version: 4).producerId
            #expect(id2 > id1)
        }
    }

    @Test func configsAreDescribedAndAltered() async throws {
        try await BrokerFixture.with(configure: { config in
            try! config.apply([("log.retention.hours", "1")])
        }) { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.roundTrip(CreateTopicsRequest(topics: [.init(name: "c", numPartitions: 1, replicationFactor: 1)]), version: 4)
            let altered = try await connection.roundTrip(IncrementalAlterConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: "c", configs: [.init(name: "cleanup.policy", configOperation: 2, value: "compact")]),
            ]), version: 1)
            #expect(altered.responses.map(\.errorCode) == [0])
            let described = try await connection.roundTrip(DescribeConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: "c", configurationKeys: ["cleanup.policy", "retention.ms"]),
                .init(resourceType: 4, resourceName: "1", configurationKeys: ["log.retention.ms"]),
            ], includeSynonyms: true), version: 4)
            let topic = Dictionary(uniqueKeysWithValues: described.results[0].configs.map { ($0.name, $0) })
            #expect(topic["cleanup.policy"]?.value == "compact,delete")
            #expect(topic["cleanup.policy"]?.configSource == 1)
            #expect(topic["retention.ms"]?.value == "3600000")
            #expect(topic["retention.ms"]?.configSource == 4)
            #expect(topic["retention.ms"]?.synonyms.map(\.source) == [4, 5])
            #expect(described.results[1].configs.map(\.value) == ["3600000"])
            let bad = try await connection.roundTrip(AlterConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: "c", configs: [.init(name: "min.insync.replicas", value: "zero")]),
            ]), version: 1)
            #expect(bad.responses.map(\.errorCode) == [ErrorCode.invalidConfig.rawValue])
        }
    }
}
