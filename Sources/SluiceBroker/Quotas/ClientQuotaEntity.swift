/// Who a client quota applies to (KIP-546's entity): a user, a client id, or both, each named or
/// the default (Kafka's `<default>`, a null entity name on the wire). Kafka's `ip` entities
/// (connection-rate quotas) are not supported.
public struct ClientQuotaEntity: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// An entity name: a given one, or the default for every user / client id without its own.
    public enum Name: Hashable, Sendable, Comparable {
        case named(String)
        case defaultName

        /// The wire form: the name, or null for the default.
        public var wire: String? {
            if case .named(let name) = self { return name }
            return nil
        }

        public init(wire: String?) { self = wire.map { .named($0) } ?? .defaultName }
    }

    public static let userType = "user"
    public static let clientIdType = "client-id"

    public var user: Name?
    public var clientId: Name?

    public init(user: Name? = nil, clientId: Name? = nil) {
        self.user = user
        self.clientId = clientId
    }

    /// The entity's parts as (type, name) in Kafka's order (user first), as records and
    /// responses list them.
    public var components: [(type: String, name: String?)] {
        var parts: [(type: String, name: String?)] = []
        if let user { parts.append((Self.userType, user.wire)) }
        if let clientId { parts.append((Self.clientIdType, clientId.wire)) }
        return parts
    }

    public var description: String {
        components.map { "\($0.type)=\($0.name ?? "<default>")" }.joined(separator: ",")
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.user.map { [$0] } ?? [], a.clientId.map { [$0] } ?? []) < (b.user.map { [$0] } ?? [], b.clientId.map { [$0] } ?? [])
    }
}

private func < (a: ([ClientQuotaEntity.Name], [ClientQuotaEntity.Name]), b: ([ClientQuotaEntity.Name], [ClientQuotaEntity.Name])) -> Bool {
    if a.0 != b.0 { return a.0.lexicographicallyPrecedes(b.0) }
    return a.1.lexicographicallyPrecedes(b.1)
}

/// The quota keys Kafka defines for user and client-id entities, and which of them Sluice
/// enforces.
public enum ClientQuotaKey {
    public static let producerByteRate = "producer_byte_rate"
    public static let consumerByteRate = "consumer_byte_rate"
    public static let requestPercentage = "request_percentage"
    public static let controllerMutationRate = "controller_mutation_rate"

    /// Kafka's keys for user and client-id entities, and whether each must be a whole number
    /// (Kafka's LONG keys) — the others are DOUBLE.
    public static let integral: [String: Bool] = [
        producerByteRate: true, consumerByteRate: true, requestPercentage: false, controllerMutationRate: false,
    ]

    /// The keys Sluice enforces; AlterClientQuotas refuses Kafka's others rather than store a
    /// quota that would do nothing.
    public static let supported: Set<String> = [producerByteRate, consumerByteRate]
}
