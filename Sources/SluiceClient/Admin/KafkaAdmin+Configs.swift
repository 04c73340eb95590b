import KafkaProtocol

extension KafkaAdmin {
    /// A resource's configs (all of them, or only `names`), sorted by name.
    public func describeConfigs(_ resource: ConfigResource, names: [String]? = nil) async throws -> [ConfigEntry] {
        let request = DescribeConfigsRequest(
            resources: [DescribeConfigsRequest.DescribeConfigsResource(resourceType: resource.type.rawValue,
                                                                       resourceName: resource.name, configurationKeys: names)],
            includeSynonyms: false, includeDocumentation: false)
        let response = try await client.withRetries("DescribeConfigs") {
            try await configConnection(for: resource).send(request)
        }
        guard let result = response.results.first else {
            throw KafkaClientError(.protocolViolation, "DescribeConfigs answered no resource", resource: resource.description)
        }
        try ErrorCode(result.errorCode).check(resource: resource.description, message: result.errorMessage)
        return result.configs.map { c in
            // Before v1 there is no source, only is_default.
            var source = ConfigEntry.Source(rawValue: c.configSource) ?? .unknown
            if source == .unknown && c.isDefault { source = .defaultConfig }
            return ConfigEntry(name: c.name, value: c.value, source: source, isReadOnly: c.readOnly, isSensitive: c.isSensitive)
        }.sorted { $0.name < $1.name }
    }

    /// Changes configs with IncrementalAlterConfigs (set, delete, append, subtract); other configs
    /// keep their values.
    public func alterConfigs(_ resource: ConfigResource, _ changes: [ConfigChange], validateOnly: Bool = false) async throws {
        guard !changes.isEmpty else { return }
        let request = IncrementalAlterConfigsRequest(
            resources: [IncrementalAlterConfigsRequest.AlterConfigsResource(
                resourceType: resource.type.rawValue, resourceName: resource.name,
                configs: changes.map { IncrementalAlterConfigsRequest.AlterableConfig(name: $0.name, configOperation: $0.operation.rawValue,
                                                                                      value: $0.value) })],
            validateOnly: validateOnly)
        let response = try await client.withRetries("IncrementalAlterConfigs") {
            try await configConnection(for: resource).send(request)
        }
        for result in response.responses {
            try ErrorCode(result.errorCode).check(resource: resource.description, message: result.errorMessage)
        }
    }

    /// Broker configs go to that broker; topic configs to any broker.
    private func configConnection(for resource: ConfigResource) async throws -> BrokerConnection {
        if resource.type != .topic, let id = Int32(resource.name) {
            return try await client.connection(toNode: id)
        }
        return try await client.anyConnection()
    }
}
