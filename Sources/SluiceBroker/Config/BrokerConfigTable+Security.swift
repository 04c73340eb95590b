import SluiceSecurity

/// TLS and SASL: the `ssl.*` and `sasl.*` keys, which every listener reads and which
/// `listener.name.<listener>.<key>` overrides for one listener (``BrokerSecuritySettings``).
extension BrokerConfigKey {
    static let securityKeys: [BrokerConfigKey] = [
        .security("ssl.keystore.type", .string, "PEM", .oneOf(["PEM"]), kafka: .differs("JKS"), .medium,
                  "The format of the key store: Sluice reads PEM (a private key and its certificate chain)."),
        .security("ssl.keystore.location", .string, nil, .any, .high,
                  "A PEM file with this listener's private key (PKCS#8, may be encrypted) and certificate chain."),
        .security("ssl.keystore.key", .password, nil, .any, .high,
                  "The private key as inline PEM (with ssl.keystore.certificate.chain), instead of ssl.keystore.location."),
        .security("ssl.keystore.certificate.chain", .password, nil, .any, .high,
                  "The certificate chain as inline PEM (with ssl.keystore.key)."),
        .security("ssl.key.password", .password, nil, .any, .high,
                  "The password of an encrypted private key in the key store."),
        .security("ssl.truststore.type", .string, "PEM", .oneOf(["PEM"]), kafka: .differs("JKS"), .medium,
                  "The format of the trust store: Sluice reads PEM CA certificates."),
        .security("ssl.truststore.location", .string, nil, .any, .high,
                  "A PEM file of CA certificates: those that sign client certificates (and, for the broker's own connections, its peers')."),
        .security("ssl.truststore.certificates", .password, nil, .any, .high,
                  "The trusted CA certificates as inline PEM, instead of ssl.truststore.location."),
        .security("ssl.client.auth", .string, "none", .oneOf(SSLClientAuth.allCases.map(\.rawValue)), .medium,
                  "Whether TLS clients must (required), may (requested) or need not (none) present a certificate; with one, the principal is User:<subject DN>."),
        .security("ssl.principal.mapping.rules", .string, "DEFAULT", .format("DEFAULT or RULE:pattern/replacement/[LU], ..."), .low,
                  "How a client certificate's subject (RFC 2253) becomes the principal's name: the first matching rule applies."),
        .security("ssl.endpoint.identification.algorithm", .string, "https", .any, .low,
                  "https: the broker's own TLS connections check that the peer's certificate names the host; empty: they do not."),
        .security("sasl.enabled.mechanisms", .list, "GSSAPI", .any, .medium,
                  "The SASL mechanisms a SASL listener accepts: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512."),
        .security("sasl.jaas.config", .password, nil, .any, .medium,
                  "The JAAS login module line: PLAIN's users (user_<name>=\"<password>\") and this broker's own username and password; usually per listener and mechanism (listener.name.<l>.<mechanism>.sasl.jaas.config)."),
        .security("sasl.mechanism.inter.broker.protocol", .string, "GSSAPI", .any, .medium,
                  "The SASL mechanism brokers use towards each other on a SASL inter-broker listener."),
        .security("sasl.mechanism.controller.protocol", .string, "GSSAPI", .any, .high,
                  "The SASL mechanism used towards the controllers on a SASL controller listener."),
        .security("inter.broker.listener.name", .string, nil, .any, .medium,
                  "The listener brokers replicate and forward over; Sluice's is its one broker listener, so this must name it."),
        .security("security.inter.broker.protocol", .string, "PLAINTEXT",
                  .oneOf(SecurityProtocol.allCases.map(\.rawValue)), .medium,
                  "The security protocol between brokers when inter.broker.listener.name is not given; must be the broker listener's."),
        .integer("connection.failed.authentication.delay.ms", .int, Int32(100), min: 0, .readOnly, .low,
                 "How long a failed authentication waits before its answer (and the connection's close), to slow down password guessing.",
                 \.failedAuthenticationDelayMs),
    ]

    /// The keys that `listener.name.<listener>.` may prefix, besides `<mechanism>.sasl.jaas.config`.
    static let listenerOverridable: Set<String> = Set(securityKeys.map(\.name)).subtracting(
        ["inter.broker.listener.name", "security.inter.broker.protocol", "sasl.mechanism.inter.broker.protocol",
         "sasl.mechanism.controller.protocol"])

    /// A security key: stored as given in ``BrokerSecuritySettings/base``, read per listener once
    /// every key is known.
    static func security(_ name: String, _ type: BrokerConfigType, _ defaultValue: String?, _ validator: BrokerConfigValidator,
                         kafka: KafkaDefault = .same, _ importance: BrokerConfigImportance,
                         _ documentation: String) -> BrokerConfigKey {
        var read: (@Sendable (BrokerConfig) -> String?)?
        if type != .password {
            read = { config in config.security.base[name] ?? defaultValue }
        }
        // A value equal to the default is the same as none (so that a config given every default
        // equals a fresh one).
        let apply: @Sendable (ConfigValue, inout BrokerConfig) throws -> Void = { value, config in
            config.security.base[name] = value.text == defaultValue ? nil : value.text
        }
        return BrokerConfigKey(name: name, type: type, defaultValue: defaultValue, kafka: kafka, validator: validator,
                               updateMode: .perBroker, importance: importance, documentation: documentation, support: .applied,
                               apply: apply, read: read)
    }
}
