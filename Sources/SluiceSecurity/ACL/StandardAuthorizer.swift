/// A resource a request acts on: a type and a name (the cluster's name is `kafka-cluster`).
///
///     AclResource.topic("orders"), AclResource.group("billing"), AclResource.cluster,
///     AclResource.transactionalId("tx-1")
public struct AclResource: Sendable, Hashable, CustomStringConvertible {
    public var type: AclResourceType
    public var name: String

    public init(_ type: AclResourceType, _ name: String) {
        self.type = type
        self.name = name
    }

    /// Kafka's `Resource.CLUSTER_NAME`: the one name a CLUSTER ACL may have.
    public static let clusterName = "kafka-cluster"

    public static func topic(_ name: String) -> AclResource { AclResource(.topic, name) }
    public static func group(_ name: String) -> AclResource { AclResource(.group, name) }
    public static func transactionalId(_ name: String) -> AclResource { AclResource(.transactionalId, name) }
    public static let cluster = AclResource(.cluster, clusterName)

    public var description: String { "\(type.name):\(name)" }
}

/// Kafka's `StandardAuthorizer` as a pure function of its settings and an ``AclIndex``:
/// `authorize(principal, host, operation, resource) -> Bool`, and what derives from it.
///
/// The rules, as Kafka 3.9 applies them:
/// - a super user (`super.users`, e.g. `User:admin;User:broker`) may do anything;
/// - the ACLs that apply to a resource are the literal ones on its name, the literal ones on `*`,
///   and the prefixed ones on any prefix of its name; of those, an ACL matches when its principal
///   is the request's or `User:*`, its host is the client's address or `*`, and its operation is
///   the one asked, or ALL; an ALLOW ACL for READ, WRITE, DELETE or ALTER also allows DESCRIBE,
///   and one for ALTER_CONFIGS also allows DESCRIBE_CONFIGS (DENY ACLs imply nothing);
/// - any matching DENY wins; otherwise any matching ALLOW allows;
/// - with no ACL at all on the resource (for anyone), `allow.everyone.if.no.acl.found` decides
///   (false by default); with ACLs on it but none matching, the answer is no.
///
///     let authorizer = StandardAuthorizer(superUsers: ["User:admin"])
///     authorizer.authorize("User:alice", host: "10.0.0.7", .write, .topic("orders"), acls: image.acls)
public struct StandardAuthorizer: Sendable, Equatable {
    /// Kafka's class name for `authorizer.class.name`.
    public static let className = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    /// Sluice's short name for the same authorizer.
    public static let shortName = "StandardAuthorizer"

    /// Principals (`User:admin`) allowed everything.
    public var superUsers: Set<String>
    public var allowEveryoneIfNoAclFound: Bool

    public init(superUsers: Set<String> = [], allowEveryoneIfNoAclFound: Bool = false) {
        self.superUsers = superUsers
        self.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound
    }

    /// Parses `super.users`: principals separated by `;` (blanks trimmed, empty entries skipped).
    public static func parseSuperUsers(_ text: String) -> Set<String> {
        Set(text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// Whether `principal` (`User:alice`) connecting from `host` (an IP address) may perform
    /// `operation` on `resource`.
    public func authorize(_ principal: String, host: String, _ operation: AclOperation, _ resource: AclResource,
                          acls: AclIndex) -> Bool {
        if superUsers.contains(principal) { return true }
        let entries = acls.entries(applyingTo: resource.type, resource.name)
        guard !entries.isEmpty else { return allowEveryoneIfNoAclFound }
        var allowed = false
        for entry in entries where Self.applies(entry, to: principal, host: host) {
            switch entry.permission {
            case .deny where entry.operation == operation || entry.operation == .all:
                return false
            case .allow where Self.allowImplies(entry.operation, operation):
                allowed = true
            default:
                break
            }
        }
        return allowed
    }

    /// Whether `principal` may perform `operation` on at least one resource of `type` (Kafka's
    /// `Authorizer.authorizeByResourceType`, what InitProducerId asks for WRITE on any topic):
    /// yes when allowed on a resource of that type no ACL names (a super user, a wildcard allow,
    /// `allow.everyone.if.no.acl.found`), or when some literal or prefixed ALLOW is not covered by
    /// a DENY on the same name or on a prefix of it. Only the exact operation or ALL counts here.
    public func authorizeByResourceType(_ principal: String, host: String, _ operation: AclOperation,
                                        _ type: AclResourceType, acls: AclIndex) -> Bool {
        // Kafka checks a made-up name first: super users and wildcard rules answer there.
        if authorize(principal, host: host, operation, AclResource(type, "hardcode"), acls: acls) { return true }
        var deniedLiteral: Set<[UInt8]> = []
        var deniedPrefixes: Set<[UInt8]> = []
        var allowed: [(name: [UInt8], prefixed: Bool)] = []
        for binding in acls.bindings(of: type) {
            let entry = binding.entry
            guard Self.applies(entry, to: principal, host: host),
                  entry.operation == operation || entry.operation == .all else { continue }
            let name = Array(binding.pattern.name.utf8)
            switch (entry.permission, binding.pattern.patternType) {
            case (.deny, .literal):
                if binding.pattern.name == AclResourcePattern.wildcard { return false }
                deniedLiteral.insert(name)
            case (.deny, .prefixed):
                deniedPrefixes.insert(name)
            case (.allow, .literal):
                if binding.pattern.name == AclResourcePattern.wildcard { return true }
                allowed.append((name, false))
            case (.allow, .prefixed):
                allowed.append((name, true))
            default:
                break
            }
        }
        for (name, prefixed) in allowed {
            if !prefixed && deniedLiteral.contains(name) { continue }
            let dominated = (1...max(1, name.count)).contains { deniedPrefixes.contains(Array(name[0..<min($0, name.count)])) }
            if !dominated { return true }
        }
        return false
    }

    /// The authorized-operations bit field of `resource` (Metadata, DescribeCluster,
    /// DescribeGroups): one bit (`1 << code`) per operation of the type's
    /// ``AclResourceType/supportedOperations`` this principal may perform.
    public func authorizedOperations(_ principal: String, host: String, _ resource: AclResource, acls: AclIndex) -> Int32 {
        resource.type.supportedOperations.reduce(Int32(0)) { bits, operation in
            authorize(principal, host: host, operation, resource, acls: acls) ? bits | operation.bit : bits
        }
    }

    /// The bit field of every supported operation: what a broker without an authorizer answers.
    public static func allOperations(of type: AclResourceType) -> Int32 {
        type.supportedOperations.reduce(Int32(0)) { $0 | $1.bit }
    }

    private static func applies(_ entry: AccessControlEntry, to principal: String, host: String) -> Bool {
        (entry.principal == principal || entry.principal == "User:*") && (entry.host == "*" || entry.host == host)
    }

    /// Whether an ALLOW ACL for `granted` allows `asked`.
    private static func allowImplies(_ granted: AclOperation, _ asked: AclOperation) -> Bool {
        if granted == .all || granted == asked { return true }
        switch asked {
        case .describe: return [.read, .write, .delete, .alter].contains(granted)
        case .describeConfigs: return granted == .alterConfigs
        default: return false
        }
    }
}
