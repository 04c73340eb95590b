import SluiceSecurity

/// Authorization (KIP-801): `authorizer.class.name` switches the ACL authorizer on,
/// `super.users` and `allow.everyone.if.no.acl.found` set its rules (``BrokerConfig/authorizer``).
extension BrokerConfigKey {
    static let authorizationKeys: [BrokerConfigKey] = [
        BrokerConfigKey(
            name: "authorizer.class.name", type: .string, defaultValue: "", kafka: .same,
            validator: .oneOf(["", StandardAuthorizer.className, StandardAuthorizer.shortName]),
            updateMode: .readOnly, importance: .low,
            documentation: "The authorizer: org.apache.kafka.metadata.authorizer.StandardAuthorizer (or StandardAuthorizer) checks every request against the ACLs in the metadata log; empty: no authorization.",
            support: .applied,
            apply: { value, config in config.authorization.enabled = !value.text.isEmpty },
            read: { $0.authorization.enabled ? StandardAuthorizer.className : "" }),
        BrokerConfigKey(
            name: "super.users", type: .string, defaultValue: nil, kafka: .same, validator: .any,
            updateMode: .readOnly, importance: .medium,
            documentation: "Principals allowed everything, separated by semicolons: User:admin;User:broker. Brokers' own principals belong here.",
            support: .applied,
            apply: { value, config in config.authorization.superUsers = StandardAuthorizer.parseSuperUsers(value.text) },
            read: { config in
                config.authorization.superUsers.isEmpty ? nil : config.authorization.superUsers.sorted().joined(separator: ";")
            }),
        .boolean("allow.everyone.if.no.acl.found", false, .readOnly, .medium,
                 "Whether a resource no ACL names is open to every principal (otherwise only super users may use it).",
                 \.authorization.allowEveryoneIfNoAclFound),
    ]
}

/// The authorizer settings as read; ``BrokerConfig/authorizer`` is the authorizer they give.
public struct AuthorizationSettings: Sendable, Equatable {
    public var enabled = false
    public var superUsers: Set<String> = []
    public var allowEveryoneIfNoAclFound = false

    public init() {}
}

extension BrokerConfig {
    /// The authorizer in force, or nil when `authorizer.class.name` names none (every request is allowed).
    public var authorizer: StandardAuthorizer? {
        guard authorization.enabled else { return nil }
        return StandardAuthorizer(superUsers: authorization.superUsers,
                                  allowEveryoneIfNoAclFound: authorization.allowEveryoneIfNoAclFound)
    }
}
