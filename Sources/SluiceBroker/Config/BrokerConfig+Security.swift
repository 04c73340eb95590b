import Foundation
import SluiceSecurity

/// A listener's security as the server side uses it: protocol, TLS context settings, how
/// certificates become principals, the SASL mechanisms and PLAIN's users.
public struct ListenerSecurity: Sendable {
    public var name: String
    public var securityProtocol: SecurityProtocol
    public var tls: TLSServerSettings?
    public var principalMapper: SslPrincipalMapper
    /// Enabled mechanisms (SASL listeners only), in Kafka's spelling.
    public var saslMechanisms: [String]
    /// PLAIN's users from the listener's JAAS line (`user_<name>="<password>"`).
    public var plainUsers: [String: String]
}

/// How this broker connects to its peers on a listener (the inter-broker or controller one): the
/// protocol, TLS as a client (the listener's trust store; its key store as client certificate),
/// and SASL with the mechanism and this broker's own username and password from the JAAS line.
public struct PeerSecurity: Sendable, Hashable {
    public var securityProtocol: SecurityProtocol
    public var tls: TLSClientSettings?
    public var saslMechanism: String?
    public var username: String?
    public var password: String?

    public static let plaintext = PeerSecurity(securityProtocol: .plaintext)

    public init(securityProtocol: SecurityProtocol, tls: TLSClientSettings? = nil, saslMechanism: String? = nil,
                username: String? = nil, password: String? = nil) {
        self.securityProtocol = securityProtocol
        self.tls = tls
        self.saslMechanism = saslMechanism
        self.username = username
        self.password = password
    }
}

extension BrokerConfig {
    /// Kafka's default `listener.security.protocol.map`.
    static let defaultProtocolMap: [String: String] = [
        "PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL",
    ]

    /// The security protocol of listener `name`, as Kafka finds it: `listener.security.protocol.map`;
    /// without an explicit map, controller listeners are PLAINTEXT.
    public func securityProtocol(ofListener name: String) throws -> SecurityProtocol {
        let upper = name.uppercased()
        let given = explicitSettings["listener.security.protocol.map"]
        let map = try given.map { try Self.securityProtocols("listener.security.protocol.map", $0) } ?? Self.defaultProtocolMap
        if let text = map[upper] {
            guard let value = SecurityProtocol(name: text) else {
                throw BrokerConfigError("invalid value for listener.security.protocol.map: \(upper):\(text) "
                                        + "(expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)")
            }
            return value
        }
        if given == nil && controllerListenerNames.map({ $0.uppercased() }).contains(upper) { return .plaintext }
        throw BrokerConfigError("listener \(upper) has no security protocol: add \(upper):<protocol> to listener.security.protocol.map")
    }

    /// The client listener's security protocol.
    public var listenerSecurityProtocol: SecurityProtocol { (try? securityProtocol(ofListener: listenerName)) ?? .plaintext }

    /// The controller listeners' security protocol (the first name in `controller.listener.names`).
    public var controllerSecurityProtocol: SecurityProtocol {
        (try? securityProtocol(ofListener: controllerListenerNames.first ?? "CONTROLLER")) ?? .plaintext
    }

    /// The server side of listener `name` (no file is read here; ``TLSServerSettings/makeContext()`` does).
    public func listenerSecurity(_ name: String) throws -> ListenerSecurity {
        let upper = name.uppercased()
        let proto = try securityProtocol(ofListener: upper)
        func value(_ key: String) -> String? { security.value(key, listener: upper) }
        var tls: TLSServerSettings?
        if proto.usesTLS {
            let keyStore: PEMKeyStore
            let password = value("ssl.key.password")
            if let location = value("ssl.keystore.location") {
                keyStore = PEMKeyStore(source: .file(location), keyPassword: password)
            } else if let key = value("ssl.keystore.key"), let chain = value("ssl.keystore.certificate.chain") {
                keyStore = PEMKeyStore(source: .inline(key: key, certificateChain: chain), keyPassword: password)
            } else {
                throw BrokerConfigError("listener \(upper) (\(proto.rawValue)) needs a key store: ssl.keystore.location "
                                        + "(or ssl.keystore.key and ssl.keystore.certificate.chain), also as listener.name.\(upper.lowercased()).ssl.keystore.location")
            }
            var trustStore: PEMTrustStore?
            if let location = value("ssl.truststore.location") {
                trustStore = PEMTrustStore(source: .file(location))
            } else if let inline = value("ssl.truststore.certificates") {
                trustStore = PEMTrustStore(source: .inline(inline))
            }
            let clientAuth = SSLClientAuth(rawValue: value("ssl.client.auth") ?? "none") ?? .none
            if clientAuth != .none && trustStore == nil {
                throw BrokerConfigError("listener \(upper): ssl.client.auth=\(clientAuth.rawValue) needs ssl.truststore.location "
                                        + "(the CA certificates that sign client certificates)")
            }
            tls = TLSServerSettings(keyStore: keyStore, trustStore: trustStore, clientAuth: clientAuth)
        }
        let mapper: SslPrincipalMapper
        do {
            mapper = try SslPrincipalMapper(rules: value("ssl.principal.mapping.rules") ?? "DEFAULT")
        } catch {
            throw BrokerConfigError("\(error)")
        }
        var mechanisms: [String] = []
        var plainUsers: [String: String] = [:]
        if proto.usesSASL {
            mechanisms = (value("sasl.enabled.mechanisms") ?? "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
            guard !mechanisms.isEmpty else {
                throw BrokerConfigError("listener \(upper) (\(proto.rawValue)): sasl.enabled.mechanisms is empty")
            }
            for mechanism in mechanisms where !SaslMechanismName.supported.contains(mechanism) {
                throw BrokerConfigError("listener \(upper): SASL mechanism \(mechanism) in sasl.enabled.mechanisms is not supported by Sluice "
                                        + "(supported: \(SaslMechanismName.supported.joined(separator: ", "))); set sasl.enabled.mechanisms")
            }
            if mechanisms.contains(SaslMechanismName.plain) {
                let jaas = try jaasConfig(listener: upper, mechanism: SaslMechanismName.plain)
                plainUsers = jaas?.plainUsers ?? [:]
                guard !plainUsers.isEmpty else {
                    throw BrokerConfigError("listener \(upper) enables PLAIN but has no users: give listener.name.\(upper.lowercased()).plain.sasl.jaas.config="
                                            + "\(JaasConfig.plainLoginModule) required user_<name>=\"<password>\";")
                }
            }
        }
        return ListenerSecurity(name: upper, securityProtocol: proto, tls: tls, principalMapper: mapper,
                                saslMechanisms: mechanisms, plainUsers: plainUsers)
    }

    /// How this broker connects to listener `name` of its peers, using `mechanismKey`
    /// (`sasl.mechanism.inter.broker.protocol` or `sasl.mechanism.controller.protocol`).
    public func peerSecurity(listener name: String, mechanismKey: String) throws -> PeerSecurity {
        let upper = name.uppercased()
        let proto = try securityProtocol(ofListener: upper)
        func value(_ key: String) -> String? { security.value(key, listener: upper) }
        var result = PeerSecurity(securityProtocol: proto)
        if proto.usesTLS {
            var trustStore: PEMTrustStore?
            if let location = value("ssl.truststore.location") {
                trustStore = PEMTrustStore(source: .file(location))
            } else if let inline = value("ssl.truststore.certificates") {
                trustStore = PEMTrustStore(source: .inline(inline))
            }
            var keyStore: PEMKeyStore?
            if let location = value("ssl.keystore.location") {
                keyStore = PEMKeyStore(source: .file(location), keyPassword: value("ssl.key.password"))
            } else if let key = value("ssl.keystore.key"), let chain = value("ssl.keystore.certificate.chain") {
                keyStore = PEMKeyStore(source: .inline(key: key, certificateChain: chain), keyPassword: value("ssl.key.password"))
            }
            result.tls = TLSClientSettings(trustStore: trustStore, keyStore: keyStore,
                                           verifyHostname: !(value("ssl.endpoint.identification.algorithm") ?? "https").isEmpty)
        }
        if proto.usesSASL {
            let mechanism = (security.base[mechanismKey] ?? BrokerConfigKey.named(mechanismKey)?.defaultValue ?? "GSSAPI").uppercased()
            guard SaslMechanismName.supported.contains(mechanism) else {
                throw BrokerConfigError("listener \(upper) is \(proto.rawValue): set \(mechanismKey) to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 "
                                        + "(\(mechanism) is not supported by Sluice)")
            }
            guard let credentials = try jaasConfig(listener: upper, mechanism: mechanism)?.clientCredentials else {
                throw BrokerConfigError("listener \(upper): the broker's own credentials for \(mechanism) are missing: give username=\"...\" password=\"...\" "
                                        + "in listener.name.\(upper.lowercased()).\(mechanism.lowercased()).sasl.jaas.config")
            }
            result.saslMechanism = mechanism
            result.username = credentials.username
            result.password = credentials.password
        }
        return result
    }

    private func jaasConfig(listener: String, mechanism: String) throws -> JaasConfig? {
        guard let text = security.jaasConfig(listener: listener, mechanism: mechanism) else { return nil }
        do {
            return try JaasConfig(parsing: text)
        } catch {
            throw BrokerConfigError("invalid value for listener.name.\(listener.lowercased()).\(mechanism.lowercased()).sasl.jaas.config: \(error)")
        }
    }

    /// Checks the security of every listener in use, and of the broker's own connections in a
    /// multi-node cluster (called once every key is read; reads no file).
    func validateSecurity() throws {
        _ = try listenerSecurity(listenerName)
        if controllerListener != nil { _ = try listenerSecurity(controllerListenerNames.first ?? "CONTROLLER") }
        if let name = explicitSettings["inter.broker.listener.name"], name.uppercased() != listenerName.uppercased() {
            throw BrokerConfigError("inter.broker.listener.name=\(name): Sluice brokers replicate over their one broker listener, \(listenerName)")
        }
        if explicitSettings["inter.broker.listener.name"] == nil, let given = explicitSettings["security.inter.broker.protocol"],
           given != listenerSecurityProtocol.rawValue {
            throw BrokerConfigError("security.inter.broker.protocol=\(given) but the broker listener \(listenerName) is \(listenerSecurityProtocol.rawValue)")
        }
        guard !quorumVoters.isEmpty else { return }
        _ = try peerSecurity(listener: listenerName, mechanismKey: "sasl.mechanism.inter.broker.protocol")
        _ = try peerSecurity(listener: controllerListenerNames.first ?? "CONTROLLER", mechanismKey: "sasl.mechanism.controller.protocol")
    }

    /// The broker's connections to other brokers' listeners.
    public var interBrokerSecurity: PeerSecurity {
        (try? peerSecurity(listener: listenerName, mechanismKey: "sasl.mechanism.inter.broker.protocol")) ?? .plaintext
    }

    /// The broker's connections to the controllers.
    public var controllerPeerSecurity: PeerSecurity {
        (try? peerSecurity(listener: controllerListenerNames.first ?? "CONTROLLER", mechanismKey: "sasl.mechanism.controller.protocol")) ?? .plaintext
    }
}
