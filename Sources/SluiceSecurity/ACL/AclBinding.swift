/// A resource pattern (Kafka's `ResourcePattern`): a type, a name and how the name matches.
public struct AclResourcePattern: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var resourceType: AclResourceType
    public var name: String
    public var patternType: AclPatternType

    public init(_ resourceType: AclResourceType, _ name: String, _ patternType: AclPatternType = .literal) {
        self.resourceType = resourceType
        self.name = name
        self.patternType = patternType
    }

    /// The name that matches every resource of a type in a literal ACL.
    public static let wildcard = "*"

    public static func < (a: Self, b: Self) -> Bool {
        (a.resourceType, a.patternType, a.name) < (b.resourceType, b.patternType, b.name)
    }

    /// As kafka-acls prints it.
    public var description: String {
        "ResourcePattern(resourceType=\(resourceType.name), name=\(name), patternType=\(patternType.name))"
    }
}

/// Who may (or may not) do what, from where (Kafka's `AccessControlEntry`).
public struct AccessControlEntry: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `Type:name`, e.g. `User:alice`; `User:*` is every user.
    public var principal: String
    /// A client IP address, or `*` for any.
    public var host: String
    public var operation: AclOperation
    public var permission: AclPermissionType

    public init(principal: String, host: String = "*", operation: AclOperation, permission: AclPermissionType) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.principal, a.host, a.operation, a.permission) < (b.principal, b.host, b.operation, b.permission)
    }

    public var description: String {
        "(principal=\(principal), host=\(host), operation=\(operation.name), permissionType=\(permission.name))"
    }
}

/// One ACL: an entry bound to a resource pattern (Kafka's `AclBinding`).
public struct AclBinding: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var pattern: AclResourcePattern
    public var entry: AccessControlEntry

    public init(_ pattern: AclResourcePattern, _ entry: AccessControlEntry) {
        self.pattern = pattern
        self.entry = entry
    }

    public static func < (a: Self, b: Self) -> Bool { (a.pattern, a.entry) < (b.pattern, b.entry) }

    public var description: String { "\(pattern) \(entry)" }

    /// Why this binding cannot be stored (Kafka's `AclControlManager.validateNewAcl` and the
    /// broker's checks before it), or nil. Answered as INVALID_REQUEST.
    public var invalidReason: String? {
        switch pattern.resourceType {
        case .unknown, .any: return "Invalid resourceType \(pattern.resourceType.name)"
        default: break
        }
        guard pattern.patternType == .literal || pattern.patternType == .prefixed else {
            return "Invalid patternType \(pattern.patternType.name)"
        }
        switch entry.operation {
        case .unknown, .any: return "Invalid operation \(entry.operation.name)"
        default: break
        }
        guard entry.permission == .allow || entry.permission == .deny else {
            return "Invalid permissionType \(entry.permission.name)"
        }
        guard !pattern.name.isEmpty else { return "Resource name should not be empty" }
        if pattern.resourceType == .cluster && pattern.name != AclResource.clusterName {
            return "The only valid name for the CLUSTER resource is \(AclResource.clusterName)"
        }
        guard let colon = entry.principal.firstIndex(of: ":"), colon != entry.principal.startIndex else {
            return "Could not parse principal from `\(entry.principal)` (no colon is present separating the principal type from the principal name)"
        }
        return nil
    }
}

/// Which ACLs a DescribeAcls or DeleteAcls request means (Kafka's `AclBindingFilter`): nil
/// fields and the ANY codes match everything; pattern type MATCH matches every ACL that applies
/// to the named resource.
public struct AclBindingFilter: Sendable, Hashable {
    public var resourceType: AclResourceType
    public var name: String?
    public var patternType: AclPatternType
    public var principal: String?
    public var host: String?
    public var operation: AclOperation
    public var permission: AclPermissionType

    public init(resourceType: AclResourceType = .any, name: String? = nil, patternType: AclPatternType = .any,
                principal: String? = nil, host: String? = nil, operation: AclOperation = .any,
                permission: AclPermissionType = .any) {
        self.resourceType = resourceType
        self.name = name
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    /// Every ACL.
    public static let all = AclBindingFilter()

    /// A filter with an UNKNOWN code cannot match anything sensibly: INVALID_REQUEST.
    public var invalidReason: String? {
        if resourceType == .unknown || patternType == .unknown { return "Unknown patternFilter." }
        if operation == .unknown || permission == .unknown { return "Unknown entryFilter." }
        return nil
    }

    public func matches(_ binding: AclBinding) -> Bool {
        matches(binding.pattern) && matches(binding.entry)
    }

    /// Kafka's `ResourcePatternFilter.matches`.
    public func matches(_ pattern: AclResourcePattern) -> Bool {
        if resourceType != .any && resourceType != pattern.resourceType { return false }
        if patternType != .any && patternType != .match && patternType != pattern.patternType { return false }
        guard let name else { return true }
        // Names compare byte for byte, as Kafka compares them (Swift's `==` on strings would
        // equate canonically equivalent spellings).
        if patternType == .any || patternType == pattern.patternType { return name.utf8.elementsEqual(pattern.name.utf8) }
        switch pattern.patternType {
        case .literal: return name.utf8.elementsEqual(pattern.name.utf8) || pattern.name == AclResourcePattern.wildcard
        case .prefixed: return name.utf8.starts(with: pattern.name.utf8)
        default: return false
        }
    }

    /// Kafka's `AccessControlEntryFilter.matches`.
    public func matches(_ entry: AccessControlEntry) -> Bool {
        if let principal, principal != entry.principal { return false }
        if let host, host != entry.host { return false }
        if operation != .any && operation != entry.operation { return false }
        return permission == .any || permission == entry.permission
    }
}
