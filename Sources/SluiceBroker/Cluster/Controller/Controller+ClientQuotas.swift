import KafkaProtocol

/// AlterClientQuotas on the active controller, validated as Kafka's `ClientQuotaControlManager`
/// (KIP-546): one result per entry, in order. An entity must name user and/or client-id, once
/// each, with a non-empty name or null for the default; an unknown type, a duplicate type, an
/// empty name, a key named twice, an entity named twice (the later one), a key Kafka does not
/// define for these entities, or a fractional value for a byte rate is INVALID_REQUEST with
/// Kafka's message. Sluice also refuses Kafka's keys it does not enforce
/// (`request_percentage`, `controller_mutation_rate`) and `ip` entities, and negative or
/// non-finite values. A value equal to the current one and the removal of an absent key write
/// nothing. With `validateOnly` nothing is written. The accepted entries commit as one batch.
extension Controller {
    struct QuotaAlteration: Sendable {
        var entity: [(type: String, name: String?)]
        /// Key → new value, nil to remove.
        var ops: [(key: String, value: Double?)]
    }

    func alterClientQuotas(_ alterations: [QuotaAlteration], validateOnly: Bool, driver: RaftDriver,
                           done: @escaping ([ApiError?]) -> Void) {
        var results: [ApiError?] = []
        var records: [MetadataRecord] = []
        var seen: Set<ClientQuotaEntity> = []
        for alteration in alterations {
            switch Self.validate(alteration) {
            case .failure(let error):
                results.append(error)
            case .success(let (entity, ops)):
                guard seen.insert(entity).inserted else {
                    results.append(ApiError(.invalidRequest, "Ignoring duplicate entity \(entity)"))
                    continue
                }
                results.append(nil)
                for (key, value) in ops where image.clientQuotas.value(entity, key) != value {
                    records.append(.clientQuota(entity: entity, key: key, value: value))
                }
            }
        }
        commit(validateOnly ? [] : records, driver: driver, name: "AlterClientQuotas") { error in
            done(results.map { $0 ?? error })
        }
    }

    /// The entity and its operations, or why the entry is refused.
    static func validate(_ alteration: QuotaAlteration) -> Result<(ClientQuotaEntity, [(String, Double?)]), ApiError> {
        var entity = ClientQuotaEntity()
        if alteration.entity.isEmpty { return .failure(ApiError(.invalidRequest, "Invalid empty client quota entity")) }
        for (type, name) in alteration.entity {
            let duplicate = ApiError(.invalidRequest, "Invalid empty client quota entity, duplicate entity entry \(type)")
            switch type {
            case ClientQuotaEntity.userType:
                guard entity.user == nil else { return .failure(duplicate) }
                entity.user = .init(wire: name)
            case ClientQuotaEntity.clientIdType:
                guard entity.clientId == nil else { return .failure(duplicate) }
                entity.clientId = .init(wire: name)
            case "ip":
                return .failure(ApiError(.invalidRequest, "IP quotas (connection_creation_rate) are not supported by Sluice"))
            default:
                return .failure(ApiError(.invalidRequest, "Unhandled client quota entity type: \(type)"))
            }
            if name?.isEmpty == true { return .failure(ApiError(.invalidRequest, "Empty \(type) not supported")) }
        }
        var ops: [(String, Double?)] = []
        var keys: Set<String> = []
        for (key, value) in alteration.ops {
            guard keys.insert(key).inserted else {
                return .failure(ApiError(.invalidRequest, "Duplicate quota key \(key) not updating quota for this entity \(entity)"))
            }
            if let value {
                guard let integral = ClientQuotaKey.integral[key] else {
                    return .failure(ApiError(.invalidRequest, "Invalid configuration key \(key)"))
                }
                guard ClientQuotaKey.supported.contains(key) else {
                    return .failure(ApiError(.invalidRequest, "Quota \(key) is not supported by Sluice (only \(ClientQuotaKey.supported.sorted().joined(separator: ", ")) are enforced)"))
                }
                guard value.isFinite, value >= 0 else {
                    return .failure(ApiError(.invalidRequest, "Configuration \(key) must be a non-negative number"))
                }
                if integral && abs(value - value.rounded()) > 1e-6 {
                    return .failure(ApiError(.invalidRequest, "Configuration \(key) must be a Long value"))
                }
            }
            ops.append((key, value))
        }
        return .success((entity, ops))
    }
}
