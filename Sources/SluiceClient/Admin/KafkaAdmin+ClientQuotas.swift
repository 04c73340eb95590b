import KafkaProtocol

/// A client quota entity (KIP-546; Kafka's `ClientQuotaEntity`): its parts by entity type (`user`, `client-id`), each a name
/// or nil for the default (`<default>`).
public struct QuotaEntity: Hashable, Sendable, CustomStringConvertible {
    public var parts: [String: String?]

    public init(user: String?? = .none, clientId: String?? = .none) {
        parts = [:]
        if case .some(let name) = user { parts["user"] = .some(name) }
        if case .some(let name) = clientId { parts["client-id"] = .some(name) }
    }

    public init(parts: [String: String?]) { self.parts = parts }

    /// `user=alice,client-id=<default>`, user first.
    public var description: String {
        parts.sorted { ($0.key == "user" ? 0 : 1, $0.key) < ($1.key == "user" ? 0 : 1, $1.key) }
            .map { "\($0.key)=\($0.value ?? "<default>")" }.joined(separator: ",")
    }
}

/// One component of a DescribeClientQuotas filter.
public enum QuotaMatch: Sendable, Equatable {
    /// The entity type with exactly this name.
    case exact(String)
    /// The entity type's default.
    case defaultName
    /// The entity type with any (non-default) name.
    case anyName
}

/// The client quota APIs as Kafka's AdminClient offers them (`describeClientQuotas`,
/// `alterClientQuotas`):
///
///     let admin = KafkaAdmin(client: client)
///     try await admin.alterClientQuotas(QuotaEntity(clientId: "loader"), set: ["producer_byte_rate": 1_048_576])
///     let quotas = try await admin.describeClientQuotas(["client-id": .exact("loader")])
extension KafkaAdmin {
    /// The quotas of the entities the filter selects (no component: all), with their values.
    /// `strict`: only entities with no other entity types than the filter's.
    public func describeClientQuotas(_ filter: [String: QuotaMatch] = [:], strict: Bool = false) async throws
        -> [(entity: QuotaEntity, values: [String: Double])] {
        var request = DescribeClientQuotasRequest()
        request.strict = strict
        request.components = filter.sorted { $0.key < $1.key }.map { type, match in
            switch match {
            case .exact(let name): return .init(entityType: type, matchType: 0, match: name)
            case .defaultName: return .init(entityType: type, matchType: 1, match: nil)
            case .anyName: return .init(entityType: type, matchType: 2, match: nil)
            }
        }
        let response = try await client.withRetries("DescribeClientQuotas") { try await client.anyConnection().send(request) }
        try ErrorCode(response.errorCode).check(resource: "client quotas", message: response.errorMessage)
        return (response.entries ?? []).map { entry in
            (QuotaEntity(parts: Dictionary(entry.entity.map { ($0.entityType, $0.entityName) }, uniquingKeysWith: { a, _ in a })),
             Dictionary(entry.values.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        }.sorted { $0.entity.description < $1.entity.description }
    }

    /// Sets and removes quota keys of one entity (`producer_byte_rate`, `consumer_byte_rate`);
    /// with `validateOnly` the brokers check the change and keep nothing. Throws the broker's
    /// error (INVALID_REQUEST with its reason, CLUSTER_AUTHORIZATION_FAILED without ALTER_CONFIGS
    /// on the cluster).
    public func alterClientQuotas(_ entity: QuotaEntity, set: [String: Double] = [:], remove: [String] = [],
                                  validateOnly: Bool = false) async throws {
        var entry = AlterClientQuotasRequest.EntryData()
        entry.entity = entity.parts.sorted { $0.key > $1.key }.map { .init(entityType: $0.key, entityName: $0.value) }
        entry.ops = set.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value, remove: false) }
            + remove.map { .init(key: $0, value: 0, remove: true) }
        let request = AlterClientQuotasRequest(entries: [entry], validateOnly: validateOnly)
        let response = try await client.withRetries("AlterClientQuotas") { try await client.anyConnection().send(request) }
        for result in response.entries {
            try ErrorCode(result.errorCode).check(resource: "client quota \(entity)", message: result.errorMessage)
        }
    }
}
