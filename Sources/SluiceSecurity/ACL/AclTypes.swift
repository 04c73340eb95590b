/// Kafka's ACL vocabulary (`org.apache.kafka.common.acl` and `.resource`): the codes travel in
/// CreateAcls / DescribeAcls / DeleteAcls and in the metadata log's ACL records; the names are
/// what `kafka-acls` prints and reads.
///
///     AclOperation(name: "DescribeConfigs")   // .describeConfigs (any case, `_` or `-` optional)
///     AclOperation.read.code                    // 3
///     AclResourceType.topic.supportedOperations.count   // 8

/// What an ACL protects (Kafka's `ResourceType`).
public enum AclResourceType: Int8, Sendable, CaseIterable, Hashable, Comparable {
    case unknown = 0
    /// Filters only: any type.
    case any = 1
    case topic = 2
    case group = 3
    case cluster = 4
    case transactionalId = 5
    case delegationToken = 6
    case user = 7

    public var code: Int8 { rawValue }
    public init?(code: Int8) { self.init(rawValue: code) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Kafka's name: `TOPIC`, `TRANSACTIONAL_ID`, ...
    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .topic: "TOPIC"
        case .group: "GROUP"
        case .cluster: "CLUSTER"
        case .transactionalId: "TRANSACTIONAL_ID"
        case .delegationToken: "DELEGATION_TOKEN"
        case .user: "USER"
        }
    }

    public init?(name: String) {
        guard let found = Self.allCases.first(where: { aclNameKey($0.name) == aclNameKey(name) }) else { return nil }
        self = found
    }

    /// The operations an ACL on this type can grant (Kafka's `AclEntry.supportedOperations`):
    /// what authorized-operations bit fields are made of. A topic has 8, the cluster 7.
    public var supportedOperations: [AclOperation] {
        switch self {
        case .topic: [.read, .write, .create, .describe, .delete, .alter, .describeConfigs, .alterConfigs]
        case .group: [.read, .describe, .delete]
        case .cluster: [.create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe]
        case .transactionalId: [.describe, .write]
        case .delegationToken: [.describe]
        case .user: [.createTokens, .describeTokens]
        case .unknown, .any: []
        }
    }
}

/// How an ACL's resource name matches (Kafka's `PatternType`).
public enum AclPatternType: Int8, Sendable, CaseIterable, Hashable, Comparable {
    case unknown = 0
    /// Filters only: any pattern type, names compared exactly.
    case any = 1
    /// Filters only: every ACL that would apply to the named resource (literal, wildcard, prefixes).
    case match = 2
    /// The name itself, or `*` for every resource of the type.
    case literal = 3
    /// Every resource whose name starts with the name.
    case prefixed = 4

    public var code: Int8 { rawValue }
    public init?(code: Int8) { self.init(rawValue: code) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .match: "MATCH"
        case .literal: "LITERAL"
        case .prefixed: "PREFIXED"
        }
    }

    public init?(name: String) {
        guard let found = Self.allCases.first(where: { aclNameKey($0.name) == aclNameKey(name) }) else { return nil }
        self = found
    }
}

/// What a principal may do (Kafka's `AclOperation`).
public enum AclOperation: Int8, Sendable, CaseIterable, Hashable, Comparable {
    case unknown = 0
    /// Filters only: any operation.
    case any = 1
    /// Every operation (in an ACL: allows or denies them all).
    case all = 2
    case read = 3
    case write = 4
    case create = 5
    case delete = 6
    case alter = 7
    case describe = 8
    case clusterAction = 9
    case describeConfigs = 10
    case alterConfigs = 11
    case idempotentWrite = 12
    case createTokens = 13
    case describeTokens = 14

    public var code: Int8 { rawValue }
    public init?(code: Int8) { self.init(rawValue: code) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .all: "ALL"
        case .read: "READ"
        case .write: "WRITE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .alter: "ALTER"
        case .describe: "DESCRIBE"
        case .clusterAction: "CLUSTER_ACTION"
        case .describeConfigs: "DESCRIBE_CONFIGS"
        case .alterConfigs: "ALTER_CONFIGS"
        case .idempotentWrite: "IDEMPOTENT_WRITE"
        case .createTokens: "CREATE_TOKENS"
        case .describeTokens: "DESCRIBE_TOKENS"
        }
    }

    /// Kafka's `SecurityUtils.operation`: `Read`, `READ`, `DescribeConfigs`, `describe_configs`.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { aclNameKey($0.name) == aclNameKey(name) }) else { return nil }
        self = found
    }

    /// The bit of this operation in an authorized-operations field (`1 << code`).
    public var bit: Int32 { Int32(1) << Int32(rawValue) }
}

/// Whether an ACL allows or denies (Kafka's `AclPermissionType`).
public enum AclPermissionType: Int8, Sendable, CaseIterable, Hashable, Comparable {
    case unknown = 0
    /// Filters only.
    case any = 1
    case deny = 2
    case allow = 3

    public var code: Int8 { rawValue }
    public init?(code: Int8) { self.init(rawValue: code) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .deny: "DENY"
        case .allow: "ALLOW"
        }
    }

    public init?(name: String) {
        guard let found = Self.allCases.first(where: { aclNameKey($0.name) == aclNameKey(name) }) else { return nil }
        self = found
    }
}

/// Names compared without case, underscores or hyphens (`DescribeConfigs` = `DESCRIBE_CONFIGS`).
private func aclNameKey(_ name: String) -> String {
    String(name.uppercased().filter { $0 != "_" && $0 != "-" })
}
