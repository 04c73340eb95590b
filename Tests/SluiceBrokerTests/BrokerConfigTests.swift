import SluiceBase
import SluiceSecurity
import Testing
@testable import SluiceBroker

@Suite struct BrokerConfigTests {
    @Test func readsKafkaPropertiesFiles() throws {
        let text = """
            # a comment
            node.id=3
            listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093
            log.dirs = /tmp/a,/tmp/b
            num.partitions: 4
            log.retention.hours=2
            log.retention.minutes=5
            message.max.bytes=2000000
            log.segment.bytes \\
              =1048576
            auto.create.topics.enable=false
            process.roles=broker,controller
            made.up.key=1
            """
        var config = BrokerConfig()
        let warnings = try config.apply(PropertiesFile.parse(text))
        #expect(config.nodeId == 3)
        #expect(config.listener == BrokerAddress(host: "127.0.0.1", port: 19092))
        #expect(config.dataDirectory == "/tmp/a")
        #expect(config.numPartitions == 4)
        #expect(config.logDefaults.retentionMs == 300_000)  // minutes win over hours
        #expect(config.logDefaults.maxMessageBytes == 2_000_000)
        #expect(config.logDefaults.segmentBytes == 1_048_576)
        #expect(config.autoCreateTopicsEnable == false)
        #expect(warnings.contains { $0.contains("made.up.key") })
        // process.roles and the CONTROLLER listener are understood (a single node without voters).
        #expect(!warnings.contains { $0.contains("process.roles") })
        #expect(config.controllerListener == BrokerAddress(host: "127.0.0.1", port: 19093))
        #expect(config.isController && config.quorumVoters.isEmpty)
    }

    @Test func readsKRaftClusterSettings() throws {
        let text = """
            node.id=2
            process.roles=broker,controller
            controller.quorum.voters=1@10.0.0.1:9093,2@10.0.0.2:9093,3@10.0.0.3:9093
            listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093
            advertised.listeners=PLAINTEXT://10.0.0.2:9092
            controller.listener.names=CONTROLLER
            broker.rack=r2
            broker.session.timeout.ms=3000
            auto.leader.rebalance.enable=false
            leader.imbalance.per.broker.percentage=20
            """
        var config = BrokerConfig()
        try config.apply(PropertiesFile.parse(text))
        #expect(config.quorumVoters[3] == BrokerAddress(host: "10.0.0.3", port: 9093))
        #expect(config.listener == BrokerAddress(host: "0.0.0.0", port: 9092))
        #expect(config.controllerListener == BrokerAddress(host: "0.0.0.0", port: 9093))
        #expect(config.advertisedListener == BrokerAddress(host: "10.0.0.2", port: 9092))
        #expect(config.rack == "r2")
        #expect(config.cluster.brokerSessionTimeoutMs == 3000)
        #expect(!config.cluster.autoLeaderRebalanceEnable)
        #expect(config.cluster.leaderImbalancePerBrokerPercentage == 20)

        var observer = BrokerConfig()
        try observer.apply(PropertiesFile.parse("""
            node.id=4
            process.roles=broker
            controller.quorum.voters=1@10.0.0.1:9093
            listeners=PLAINTEXT://0.0.0.0:9092
            """))
        #expect(!observer.isController && observer.controllerListener == nil)
    }

    @Test func inconsistentClusterSettingsAreRefused() {
        let cases: [(String, String)] = [
            ("node.id=5\nprocess.roles=broker,controller\ncontroller.quorum.voters=1@h:9093\nlisteners=PLAINTEXT://h:9092,CONTROLLER://h:9093", "not in controller.quorum.voters"),
            ("node.id=1\ncontroller.quorum.voters=1@h:9093\nlisteners=PLAINTEXT://h:9092", "no controller listener"),
            ("node.id=1\nprocess.roles=broker\ncontroller.quorum.voters=1@h:9093\nlisteners=PLAINTEXT://h:9092", "no controller role"),
            ("process.roles=broker", "needs controller.quorum.voters"),
            ("process.roles=controller", "process.roles"),
            ("controller.quorum.voters=one@h:1", "controller.quorum.voters"),
        ]
        for (text, message) in cases {
            var config = BrokerConfig()
            #expect { try config.apply(PropertiesFile.parse(text)) } throws: { error in
                "\(error)".contains(message)
            }
        }
    }

    @Test func listenersNeedASecurityProtocolAndTheirKeys() throws {
        var mapped = BrokerConfig()
        try mapped.apply(PropertiesFile.parse("listeners=CLIENT://127.0.0.1:9092\nlistener.security.protocol.map=CLIENT:PLAINTEXT"))
        #expect(mapped.listenerName == "CLIENT" && mapped.listenerSecurityProtocol == .plaintext)
        var bad = BrokerConfig()
        #expect { try bad.apply(PropertiesFile.parse("listener.security.protocol.map=CLIENT")) } throws: { error in
            "\(error)".contains("listener.security.protocol.map")
        }
        // A name that is no protocol needs an entry in the map (Kafka refuses to start otherwise).
        var unnamed = BrokerConfig()
        #expect { try unnamed.apply(PropertiesFile.parse("listeners=CLIENT://127.0.0.1:9092")) } throws: { error in
            "\(error)".contains("listener CLIENT has no security protocol")
        }
        // TLS and SASL listeners need their key store and mechanisms.
        for (text, message) in [
            ("listeners=SSL://h:9093", "needs a key store: ssl.keystore.location"),
            ("listeners=SASL_SSL://h:9093\nssl.keystore.location=/k.pem", "SASL mechanism GSSAPI in sasl.enabled.mechanisms is not supported"),
            ("listeners=SASL_PLAINTEXT://h:9093\nsasl.enabled.mechanisms=PLAIN", "enables PLAIN but has no users"),
            ("listeners=SSL://h:9093\nssl.keystore.location=/k.pem\nssl.client.auth=required", "needs ssl.truststore.location"),
            ("listeners=SSL://h:9093\nssl.keystore.location=/k.pem\nssl.principal.mapping.rules=RULE:x", "ssl.principal.mapping.rules"),
            ("ssl.client.auth=always", "invalid value for ssl.client.auth"),
            ("ssl.keystore.type=JKS", "expected one of PEM"),
            ("listener.name.ext.ssl.client.auth=maybe", "invalid value for listener.name.ext.ssl.client.auth"),
            ("listener.name.ext.log.retention.ms=5", "no listener override for log.retention.ms"),
            ("inter.broker.listener.name=OTHER", "replicate over their one broker listener"),
        ] {
            var config = BrokerConfig()
            #expect(throws: BrokerConfigError.self, "\(text)") { try config.apply(PropertiesFile.parse(text)) }
            do { try config.apply(PropertiesFile.parse(text)) } catch { #expect("\(error)".contains(message), "\(text): \(error)") }
        }
    }

    @Test func listenerOverridesWinForTheirListener() throws {
        var config = BrokerConfig()
        try config.apply(PropertiesFile.parse("""
            listeners=EXTERNAL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
            listener.security.protocol.map=EXTERNAL:SASL_SSL,CONTROLLER:SSL
            ssl.keystore.location=/broker.pem
            ssl.key.password=secret
            ssl.truststore.location=/ca.pem
            listener.name.controller.ssl.client.auth=required
            listener.name.external.ssl.keystore.location=/external.pem
            listener.name.external.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
            listener.name.external.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";
            """))
        let external = try config.listenerSecurity("EXTERNAL")
        #expect(external.securityProtocol == .saslSSL)
        #expect(external.tls?.keyStore == PEMKeyStore(source: .file("/external.pem"), keyPassword: "secret"))
        #expect(external.tls?.clientAuth == SSLClientAuth.none)
        #expect(external.saslMechanisms == ["PLAIN", "SCRAM-SHA-512"])
        #expect(external.plainUsers == ["admin": "admin-secret", "alice": "alice-secret"])
        let controller = try config.listenerSecurity("CONTROLLER")
        #expect(controller.securityProtocol == .ssl && controller.tls?.clientAuth == .required)
        #expect(controller.tls?.keyStore.source == .file("/broker.pem"))
        #expect(config.controllerSecurityProtocol == .ssl)
        // Passwords are never shown (DescribeConfigs answers null for sensitive keys).
        #expect(BrokerConfigKey.named("ssl.key.password")!.isSensitive && BrokerConfigKey.named("sasl.jaas.config")!.isSensitive)
    }

    @Test func invalidValuesNameTheirKey() {
        for (key, value) in [("num.partitions", "0"), ("log.retention.ms", "soon"), ("listeners", "nowhere"),
                             ("auto.create.topics.enable", "maybe"), ("log.segment.bytes", "-5")] {
            var config = BrokerConfig()
            #expect {
                try config.apply([(key, value)])
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }

    @Test func parsesAddresses() {
        #expect(BrokerAddress(listener: "PLAINTEXT://[::1]:9092") == BrokerAddress(host: "::1", port: 9092))
        #expect(BrokerAddress(listener: "localhost:0") == BrokerAddress(host: "localhost", port: 0))
        #expect(BrokerAddress(listener: "localhost") == nil)
        #expect(BrokerAddress(listener: "h:70000") == nil)
    }
}
