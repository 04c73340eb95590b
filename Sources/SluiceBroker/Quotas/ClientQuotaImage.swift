/// Every client quota in the metadata log (`ClientQuotaRecord`s replayed), by entity: what
/// DescribeClientQuotas lists and what the brokers enforce.
public struct ClientQuotaImage: Sendable, Equatable {
    public private(set) var entities: [ClientQuotaEntity: [String: Double]] = [:]

    public init() {}

    public var isEmpty: Bool { entities.isEmpty }

    /// Sets (`value` non-nil) or removes one key of an entity; an entity left without keys goes.
    public mutating func apply(_ entity: ClientQuotaEntity, key: String, value: Double?) {
        entities[entity, default: [:]][key] = value
        if entities[entity]?.isEmpty == true { entities[entity] = nil }
    }

    public func value(_ entity: ClientQuotaEntity, _ key: String) -> Double? { entities[entity]?[key] }

    /// The records that rebuild this image (snapshots).
    var records: [MetadataRecord] {
        entities.sorted { $0.key < $1.key }.flatMap { entity, values in
            values.sorted { $0.key < $1.key }.map { MetadataRecord.clientQuota(entity: entity, key: $0.key, value: $0.value) }
        }
    }

    /// The quota that applies to a client's `key`, with the tags its usage is measured under,
    /// by Kafka's precedence (`DefaultQuotaCallback`), most specific first:
    ///
    /// 1. user + client id, 2. user + default client id, 3. user, 4. default user + client id,
    /// 5. default user + default client id, 6. default user, 7. client id, 8. default client id.
    ///
    /// Clients that share the returned tags share one measured rate: a user quota (3, 6) is
    /// shared by all the user's client ids, a client-id quota (7, 8) by all users of that client
    /// id, the others (1, 2, 4, 5) are per user and client id. Nil: no quota applies.
    public func quota(for key: String, user: String, clientId: String) -> (limit: Double, tags: ClientQuotaTags)? {
        guard !entities.isEmpty else { return nil }
        let u = ClientQuotaEntity.Name.named(user), c = ClientQuotaEntity.Name.named(clientId)
        let both = ClientQuotaTags(user: user, clientId: clientId)
        let userOnly = ClientQuotaTags(user: user, clientId: "")
        let clientOnly = ClientQuotaTags(user: "", clientId: clientId)
        let order: [(ClientQuotaEntity, ClientQuotaTags)] = [
            (ClientQuotaEntity(user: u, clientId: c), both),
            (ClientQuotaEntity(user: u, clientId: .defaultName), both),
            (ClientQuotaEntity(user: u), userOnly),
            (ClientQuotaEntity(user: .defaultName, clientId: c), both),
            (ClientQuotaEntity(user: .defaultName, clientId: .defaultName), both),
            (ClientQuotaEntity(user: .defaultName), userOnly),
            (ClientQuotaEntity(clientId: c), clientOnly),
            (ClientQuotaEntity(clientId: .defaultName), clientOnly),
        ]
        for (entity, tags) in order {
            if let limit = entities[entity]?[key] { return (limit, tags) }
        }
        return nil
    }
}

/// The user and client id a measured rate belongs to ("" where the quota does not distinguish),
/// Kafka's quota metric tags.
public struct ClientQuotaTags: Hashable, Sendable, CustomStringConvertible {
    public var user: String
    public var clientId: String

    public var description: String { "user=\(user) client-id=\(clientId)" }
}
