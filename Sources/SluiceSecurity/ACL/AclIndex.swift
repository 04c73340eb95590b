/// A set of ACLs arranged for authorization: by resource type, then literal names (`*` among
/// them) and prefixes, so that the ACLs applying to one resource are found with a few hash
/// lookups — one per distinct prefix length, not one per ACL (Kafka's `StandardAuthorizerData`
/// walks a sorted set for the same answer).
///
/// A value: the metadata image holds one and publishes it with every image, so a handler reads a
/// consistent set without locks. Names are compared byte for byte (UTF-8), as Kafka compares them.
public struct AclIndex: Sendable, Equatable {
    private var byType: [AclResourceType: TypeAcls] = [:]
    /// How many ACLs the index holds.
    public private(set) var count = 0

    private struct TypeAcls: Sendable, Equatable {
        var literal: [[UInt8]: Set<AccessControlEntry>] = [:]
        /// Prefixed ACLs by the prefix's length in bytes, then by the prefix.
        var prefixed: [Int: [[UInt8]: Set<AccessControlEntry>]] = [:]
    }

    public init() {}

    public init(_ bindings: some Sequence<AclBinding>) {
        for binding in bindings { insert(binding) }
    }

    public var isEmpty: Bool { count == 0 }

    /// Adds `binding`; false when it was there already.
    @discardableResult
    public mutating func insert(_ binding: AclBinding) -> Bool {
        let key = Array(binding.pattern.name.utf8)
        let inserted: Bool
        switch binding.pattern.patternType {
        case .literal:
            inserted = byType[binding.pattern.resourceType, default: TypeAcls()].literal[key, default: []].insert(binding.entry).inserted
        case .prefixed:
            inserted = byType[binding.pattern.resourceType, default: TypeAcls()]
                .prefixed[key.count, default: [:]][key, default: []].insert(binding.entry).inserted
        default:
            return false
        }
        if inserted { count += 1 }
        return inserted
    }

    /// Removes `binding`; false when it was not there.
    @discardableResult
    public mutating func remove(_ binding: AclBinding) -> Bool {
        let type = binding.pattern.resourceType
        let key = Array(binding.pattern.name.utf8)
        guard var acls = byType[type] else { return false }
        switch binding.pattern.patternType {
        case .literal:
            guard acls.literal[key]?.remove(binding.entry) != nil else { return false }
            if acls.literal[key]?.isEmpty == true { acls.literal[key] = nil }
        case .prefixed:
            guard acls.prefixed[key.count]?[key]?.remove(binding.entry) != nil else { return false }
            if acls.prefixed[key.count]?[key]?.isEmpty == true { acls.prefixed[key.count]?[key] = nil }
            if acls.prefixed[key.count]?.isEmpty == true { acls.prefixed[key.count] = nil }
        default:
            return false
        }
        byType[type] = acls.literal.isEmpty && acls.prefixed.isEmpty ? nil : acls
        count -= 1
        return true
    }

    /// The entries of every ACL that applies to the resource `name` of `type`: literal on the
    /// name, literal on `*`, and prefixed on any prefix of the name (the name itself included).
    public func entries(applyingTo type: AclResourceType, _ name: String) -> [AccessControlEntry] {
        guard let acls = byType[type] else { return [] }
        var found: [AccessControlEntry] = []
        let bytes = Array(name.utf8)
        if let exact = acls.literal[bytes] { found.append(contentsOf: exact) }
        if name != AclResourcePattern.wildcard, let wildcard = acls.literal[Array(AclResourcePattern.wildcard.utf8)] {
            found.append(contentsOf: wildcard)
        }
        for (length, prefixes) in acls.prefixed where length <= bytes.count {
            if let matching = prefixes[Array(bytes[0..<length])] { found.append(contentsOf: matching) }
        }
        return found
    }

    /// Every ACL of `type` (all types when nil), as bindings, in a stable order.
    public func bindings(of type: AclResourceType? = nil) -> [AclBinding] {
        var result: [AclBinding] = []
        for (resourceType, acls) in byType where type == nil || type == resourceType {
            for (name, entries) in acls.literal {
                let pattern = AclResourcePattern(resourceType, String(decoding: name, as: UTF8.self), .literal)
                result.append(contentsOf: entries.map { AclBinding(pattern, $0) })
            }
            for prefixes in acls.prefixed.values {
                for (name, entries) in prefixes {
                    let pattern = AclResourcePattern(resourceType, String(decoding: name, as: UTF8.self), .prefixed)
                    result.append(contentsOf: entries.map { AclBinding(pattern, $0) })
                }
            }
        }
        return result.sorted()
    }

    /// The ACLs a filter matches, in a stable order.
    public func bindings(matching filter: AclBindingFilter) -> [AclBinding] {
        let type: AclResourceType? = filter.resourceType == .any ? nil : filter.resourceType
        return bindings(of: type).filter(filter.matches)
    }
}
