import KafkaProtocol

extension KafkaAdmin {
    /// Creates topics; throws the first per-topic error (e.g. TOPIC_ALREADY_EXISTS) after all
    /// were attempted. `validateOnly` checks without creating.
    public func createTopics(_ topics: [NewTopic], validateOnly: Bool = false, timeout: Duration = .seconds(30)) async throws {
        for topic in topics where topic.name.isEmpty {
            throw KafkaClientError(.invalidArgument, "a topic name cannot be empty")
        }
        let request = CreateTopicsRequest(
            topics: topics.map { t in
                CreateTopicsRequest.CreatableTopic(
                    name: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, assignments: [],
                    configs: t.configs.keys.sorted().map { CreateTopicsRequest.CreatableTopicConfig(name: $0, value: t.configs[$0]) })
            },
            timeoutMs: Int32(clamping: timeout.nanoseconds / 1_000_000), validateOnly: validateOnly)
        let response = try await client.withRetries("CreateTopics") {
            let connection = try await controllerConnection()
            if topics.contains(where: { $0.partitions < 0 || $0.replicationFactor < 0 }),
               let v = connection.version(for: .createTopics), v < 4 {
                throw KafkaClientError(.unsupportedVersion(.createTopics), "broker defaults for partitions or replication need CreateTopics v4",
                                       resource: connection.description)
            }
            let response = try await connection.send(request, timeout: timeout + .seconds(5))
            if let notController = response.topics.first(where: { ErrorCode($0.errorCode) == .notController }) {
                throw KafkaClientError.broker(.notController, resource: "topic '\(notController.name)'")
            }
            return response
        }
        client.invalidateMetadata()
        var firstError: KafkaClientError?
        for result in response.topics where ErrorCode(result.errorCode).isError && firstError == nil {
            firstError = KafkaClientError.broker(ErrorCode(result.errorCode), resource: "topic '\(result.name)'", message: result.errorMessage)
        }
        if let firstError { throw firstError }
    }

    public func createTopic(_ topic: NewTopic, validateOnly: Bool = false) async throws {
        try await createTopics([topic], validateOnly: validateOnly)
    }

    /// Deletes topics by name; throws the first per-topic error.
    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws {
        let response = try await client.withRetries("DeleteTopics") {
            let connection = try await controllerConnection()
            let version = try connection.versions.requireVersion(for: .deleteTopics, broker: connection.description)
            let request = DeleteTopicsRequest(topics: names.map { DeleteTopicsRequest.DeleteTopicState(name: $0) },
                                              topicNames: names, timeoutMs: Int32(clamping: timeout.nanoseconds / 1_000_000))
            let response = try await connection.send(request, version: version, timeout: timeout + .seconds(5))
            if response.responses.contains(where: { ErrorCode($0.errorCode) == .notController }) {
                throw KafkaClientError.broker(.notController, resource: "the controller")
            }
            return response
        }
        client.invalidateMetadata()
        for result in response.responses {
            try ErrorCode(result.errorCode).check(resource: "topic '\(result.name ?? "?")'", message: result.errorMessage)
        }
    }

    /// Every topic (internal ones only when asked), sorted by name.
    public func listTopics(includeInternal: Bool = false) async throws -> [TopicListing] {
        let metadata = try await client.metadata(topics: nil, refresh: true)
        return metadata.topics.values
            .filter { $0.error == .noError && (includeInternal || !$0.isInternal) }
            .map { t in
                TopicListing(name: t.name, topicId: t.topicId, partitions: t.partitions.count,
                             replicationFactor: t.partitions.first?.replicas.count ?? 0, isInternal: t.isInternal)
            }
            .sorted { $0.name < $1.name }
    }

    /// Partitions, leaders, replicas and ISR of topics; throws UNKNOWN_TOPIC_OR_PARTITION for a
    /// topic that does not exist.
    public func describeTopics(_ names: [String]) async throws -> [TopicInfo] {
        let metadata = try await client.metadata(topics: names, refresh: true)
        return try names.map { name in
            guard let topic = metadata.topics[name] else {
                throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "topic '\(name)'")
            }
            try topic.error.check(resource: "topic '\(name)'")
            return topic
        }
    }

    /// Raises a topic's partition count to `totalCount`.
    public func createPartitions(topic: String, totalCount: Int32, validateOnly: Bool = false,
                                 timeout: Duration = .seconds(30)) async throws {
        let request = CreatePartitionsRequest(
            topics: [CreatePartitionsRequest.CreatePartitionsTopic(name: topic, count: totalCount, assignments: nil)],
            timeoutMs: Int32(clamping: timeout.nanoseconds / 1_000_000), validateOnly: validateOnly)
        let response = try await client.withRetries("CreatePartitions") {
            let connection = try await controllerConnection()
            let response = try await connection.send(request, timeout: timeout + .seconds(5))
            if response.results.contains(where: { ErrorCode($0.errorCode) == .notController }) {
                throw KafkaClientError.broker(.notController, resource: "the controller")
            }
            return response
        }
        client.invalidateMetadata()
        for result in response.results {
            try ErrorCode(result.errorCode).check(resource: "topic '\(result.name)'", message: result.errorMessage)
        }
    }
}
