import KafkaProtocol

/// A DescribeClientQuotas filter, validated as Kafka's `ClientQuotasImage.describe`: per entity
/// type an exact name (match type 0), the default (1) or any named one (2); `strict` keeps only
/// entities with no other parts. Entity types other than user, client-id and ip are
/// UNSUPPORTED_VERSION, a malformed component INVALID_REQUEST, with Kafka's messages.
public struct ClientQuotaFilter: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        case exact(String)
        case defaultName
        case anyNamed
    }

    /// The requested components by entity type.
    public var components: [String: Match] = [:]
    public var strict = false

    public init(components: [String: Match] = [:], strict: Bool = false) {
        self.components = components
        self.strict = strict
    }

    public init(_ request: DescribeClientQuotasRequest) throws(ApiError) {
        strict = request.strict
        for component in request.components {
            let type = component.entityType
            guard !type.isEmpty else { throw ApiError(.invalidRequest, "Invalid empty entity type.") }
            guard components[type] == nil else {
                throw ApiError(.invalidRequest, "Entity type \(type) cannot appear more than once in the filter.")
            }
            guard [ClientQuotaEntity.userType, ClientQuotaEntity.clientIdType, "ip"].contains(type) else {
                throw ApiError(.unsupportedVersion, "Unsupported entity type \(type)")
            }
            switch component.matchType {
            case 0:
                guard let match = component.match else {
                    throw ApiError(.invalidRequest, "Request specified MATCH_TYPE_EXACT, but set match string to null.")
                }
                components[type] = .exact(match)
            case 1:
                guard component.match == nil else {
                    throw ApiError(.invalidRequest, "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.")
                }
                components[type] = .defaultName
            case 2:
                guard component.match == nil else {
                    throw ApiError(.invalidRequest, "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.")
                }
                components[type] = .anyNamed
            default:
                throw ApiError(.invalidRequest, "Unknown match type \(component.matchType)")
            }
        }
        if components["ip"] != nil && (components[ClientQuotaEntity.userType] != nil || components[ClientQuotaEntity.clientIdType] != nil) {
            throw ApiError(.invalidRequest, "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.")
        }
    }

    /// Whether `entity` passes: it has every filtered type, each matching; with `strict`, no
    /// other type. No component and not strict: everything.
    public func matches(_ entity: ClientQuotaEntity) -> Bool {
        let parts: [String: ClientQuotaEntity.Name] = Dictionary(uniqueKeysWithValues: entity.components.map { ($0.type, ClientQuotaEntity.Name(wire: $0.name)) })
        if strict && parts.count != components.count { return false }
        for (type, match) in components {
            guard let name = parts[type] else { return false }
            switch (match, name) {
            case (.exact(let wanted), .named(let actual)) where wanted == actual: continue
            case (.defaultName, .defaultName), (.anyNamed, .named): continue
            default: return false
            }
        }
        return true
    }
}

extension ClientQuotaImage {
    /// The entities `filter` selects with their values, in a stable order.
    public func describe(_ filter: ClientQuotaFilter) -> [(entity: ClientQuotaEntity, values: [String: Double])] {
        entities.filter { filter.matches($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
