import SluiceBase
import SluiceClient
import SluiceLocalCluster
import SluiceSecurity

/// What a secured local cluster (`--secure`) needs once it runs, done through the Kafka protocol
/// as `admin`: the SCRAM users (credentials live in the metadata log) and the demo user's ACLs
/// (all operations on topics and groups named `sluice-demo…`); then the client files that name
/// them. Used by the console's embedded cluster and by `sluice cluster up --secure`.
public enum SecureClusterSetup {
    /// admin over PLAIN (its password is in the brokers' JAAS lines, so it works before any SCRAM
    /// credential exists), trusting the cluster's CA.
    public static func adminSecurity(_ security: LocalClusterSecurity, tls: LocalCluster.TLSFiles) throws -> ClientSecurity {
        try clientSecurity(user: LocalClusterSecurity.adminUser, password: security.adminPassword, mechanism: "PLAIN", tls: tls)
    }

    /// The demo user over SCRAM-SHA-512 (once ``provision(_:cluster:bootstrap:timeout:)`` created it).
    public static func demoSecurity(_ security: LocalClusterSecurity, tls: LocalCluster.TLSFiles) throws -> ClientSecurity {
        try clientSecurity(user: LocalClusterSecurity.demoUser, password: security.demoPassword,
                           mechanism: LocalClusterSecurity.clientMechanism, tls: tls)
    }

    private static func clientSecurity(user: String, password: String, mechanism: String,
                                       tls: LocalCluster.TLSFiles) throws -> ClientSecurity {
        try ClientSecurity(properties: [
            "security.protocol": "SASL_SSL", "sasl.mechanism": mechanism,
            "sasl.username": user, "sasl.password": password, "ssl.ca.location": tls.caCertificate,
        ])
    }

    /// The demo user's ACLs.
    public static var demoAcls: [AclBinding] {
        let demo = AccessControlEntry(principal: "User:\(LocalClusterSecurity.demoUser)", operation: .all, permission: .allow)
        return [
            AclBinding(AclResourcePattern(.topic, LocalClusterSecurity.demoPrefix, .prefixed), demo),
            AclBinding(AclResourcePattern(.group, LocalClusterSecurity.demoPrefix, .prefixed), demo),
        ]
    }

    /// Creates (or refreshes) the SCRAM users and the demo ACLs, then writes `client.properties`
    /// and `demo.properties`; retried until `timeout` while the cluster is still electing its
    /// controller. Safe to run on every start (upserts; an existing ACL is not added twice).
    public static func provision(_ security: LocalClusterSecurity, cluster: LocalCluster, bootstrap: [BrokerAddress],
                                 timeout: Duration = .seconds(60)) async throws {
        var configuration = ClientConfiguration(bootstrapServers: bootstrap, clientId: "sluice-secure-setup",
                                                connectTimeout: .seconds(2), requestTimeout: .seconds(10),
                                                retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1)))
        configuration.security = try adminSecurity(security, tls: cluster.tlsFiles)
        let client = KafkaClient(configuration: configuration)
        let admin = KafkaAdmin(client: client)
        let deadline = ContinuousClock.now + timeout
        do {
            while true {
                do {
                    try await admin.alterUserScramCredentials(security.scramUsers.map {
                        .upsert(user: $0.user, mechanism: .sha512, password: $0.password, iterations: 4096)
                    })
                    let existing = Set(try await admin.describeAcls(AclBindingFilter.all))
                    let missing = demoAcls.filter { !existing.contains($0) }
                    if !missing.isEmpty { try await admin.createAcls(missing) }
                    break
                } catch {
                    guard ContinuousClock.now < deadline else { throw error }
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        try cluster.writeClientProperties(security, bootstrap: bootstrap.map(\.description).joined(separator: ","))
    }
}
