import SluiceSecurity

/// The `ssl.*` and `sasl.*` settings as given: un-prefixed (every listener's) and per listener
/// (`listener.name.<listener>.<key>`, which wins for that listener, as in Kafka). Read through
/// ``value(_:listener:)``; ``BrokerConfig/listenerSecurity(_:)`` turns them into a listener's
/// security.
public struct BrokerSecuritySettings: Sendable, Equatable {
    /// Un-prefixed values by key.
    public var base: [String: String] = [:]
    /// Per listener (upper-cased name): values by key (without the prefix).
    public var listeners: [String: [String: String]] = [:]

    public init() {}

    /// The value for `listener`: its own override, else the un-prefixed value, else the table's default.
    public func value(_ key: String, listener: String) -> String? {
        listeners[listener.uppercased()]?[key] ?? base[key] ?? BrokerConfigKey.named(key)?.defaultValue
    }

    /// The JAAS line for `mechanism` on `listener`: `listener.name.<l>.<mechanism>.sasl.jaas.config`,
    /// else `listener.name.<l>.sasl.jaas.config`, else `sasl.jaas.config`.
    public func jaasConfig(listener: String, mechanism: String) -> String? {
        let overrides = listeners[listener.uppercased()]
        return overrides?[mechanism.lowercased() + ".sasl.jaas.config"] ?? overrides?["sasl.jaas.config"] ?? base["sasl.jaas.config"]
    }
}

extension BrokerConfig {
    /// Reads `listener.name.<listener>.<key>`; false when `name` has no such prefix.
    mutating func applyListenerOverride(_ name: String, _ rawValue: String) throws -> Bool {
        let prefix = "listener.name."
        guard name.hasPrefix(prefix) else { return false }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex else {
            throw BrokerConfigError("invalid config name \(name) (expected listener.name.<listener>.<key>)")
        }
        let listener = rest[..<dot].uppercased()
        let key = String(rest[rest.index(after: dot)...])
        let mechanisms = SaslMechanismName.supported.map { $0.lowercased() } + ["gssapi", "oauthbearer"]
        if mechanisms.contains(where: { key == $0 + ".sasl.jaas.config" }) {
            security.listeners[listener, default: [:]][key] = rawValue
            return true
        }
        guard BrokerConfigKey.listenerOverridable.contains(key), let definition = BrokerConfigKey.named(key) else {
            throw BrokerConfigError("\(name): Sluice reads no listener override for \(key) (overridable: the ssl.* and sasl.* keys and <mechanism>.sasl.jaas.config)")
        }
        let value: ConfigValue
        do {
            value = try definition.parse(rawValue)
        } catch {
            throw BrokerConfigError("invalid value for \(name): '\(definition.isSensitive ? "[hidden]" : rawValue)' (\(definition.allowedValues))")
        }
        security.listeners[listener, default: [:]][key] = value.text
        return true
    }
}
