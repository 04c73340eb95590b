import Foundation
import Testing

/// ACLs with real clients against a `sluice broker` process with the StandardAuthorizer:
/// confluent-kafka's AdminClient creates, describes and deletes ACLs, a SASL user is refused
/// (TOPIC_AUTHORIZATION_FAILED), then allowed, then refused again; kcat is refused; `sluice acl`
/// manages the same ACLs.
@Suite(.serialized, .onTestThreads) struct AclInteropTests {
    static let authorizer = ["authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                             "super.users=User:admin"]

    func json(_ value: [String: String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.confluentKafka), "confluent-kafka is needed"))
    func confluentAdminManagesAclsAndTheUserFollowsThem() async throws {
        try await SecureBroker.with(listener: "SASL_SSL", extra: Self.authorizer) { broker in
            let output = try await ClientRunner.python("acl_client.py", ["scenario", broker.bootstrap,
                                                                   json(broker.sasl("PLAIN", "admin", "admin-secret")),
                                                                   json(broker.sasl("PLAIN", "alice", "alice-secret")),
                                                                   "orders", "User:alice"])
            let result = try #require(output.records.first, "\(output.stderr.suffix(3000))")
            #expect(result["refused_before"] as? String == "TOPIC_AUTHORIZATION_FAILED", "\(result)")
            let described = result["described"] as? [[String: String]] ?? []
            #expect(described.map { [$0["pattern"], $0["name"], $0["operation"], $0["permission"]] } == [
                ["LITERAL", "orders", "WRITE", "ALLOW"], ["PREFIXED", "ord", "READ", "ALLOW"],
            ], "\(result)")
            #expect(result.keys.contains("allowed") && result["allowed"] is NSNull, "\(result)")
            let deleted = result["deleted"] as? [[String: String]] ?? []
            #expect(deleted.map { $0["operation"] } == ["WRITE"], "\(result)")
            #expect(result["refused_after"] as? String == "TOPIC_AUTHORIZATION_FAILED", "\(result)")
            #expect(result["user_create_acls"] as? String == "CLUSTER_AUTHORIZATION_FAILED", "\(result)")
        }
    }

    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is needed"))
    func kcatIsRefusedUntilTheCliAllowsIt() async throws {
        try await SecureBroker.with(listener: "SASL_SSL", extra: Self.authorizer) { broker in
            let adminFile = try broker.propertiesFile(broker.sasl("PLAIN", "admin", "admin-secret"), name: "admin")
            let created = try await SluiceCLI.run(["topic", "create", "payments", "--partitions", "1", "--command-config", adminFile],
                                            bootstrap: broker.bootstrap)
            #expect(created.status == 0, "\(created.stderr)")
            let alice = broker.sasl("PLAIN", "alice", "alice-secret")
            let options = alice.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key == "sasl.mechanism" ? "sasl.mechanisms" : $0.key)=\($0.value)"] }
            func produce() async throws -> ClientRunner.Output {
                try await ClientRunner.run("kcat", ["-b", broker.bootstrap, "-t", "payments", "-P", "-p", "0", "-X", "message.timeout.ms=10000"] + options,
                                     input: Data("one\n".utf8), timeout: 60)
            }
            let refused = try await produce()
            #expect(refused.status != 0 || refused.stderr.contains("authorization failed"), "\(refused.stderr)")
            #expect(refused.stderr.contains("Topic authorization failed") || refused.stderr.contains("TOPIC_AUTHORIZATION_FAILED"),
                    "\(refused.stderr)")
            // `sluice acl create` with kafka-acls' option names, then `list --json`.
            let allow = try await SluiceCLI.run(["acl", "create", "--allow-principal", "User:alice", "--operation", "Write",
                                           "--topic", "payments", "--command-config", adminFile], bootstrap: broker.bootstrap)
            #expect(allow.status == 0, "\(allow.stderr)")
            let list = try await SluiceCLI.run(["acl", "list", "--json", "--command-config", adminFile], bootstrap: broker.bootstrap)
            let acls = try SluiceCLI.json(list) as? [[String: Any]] ?? []
            #expect(acls.map { "\($0["principal"] ?? "") \($0["operation"] ?? "") \($0["name"] ?? "")" } == ["User:alice WRITE payments"],
                    "\(list.stdout) \(list.stderr)")
            var allowed = try await produce()
            let deadline = ContinuousClock.now + .seconds(30)
            while allowed.status != 0 && ContinuousClock.now < deadline {
                allowed = try await produce()
            }
            #expect(allowed.status == 0 && !allowed.stderr.contains("authorization failed"), "\(allowed.stderr)")
            let removed = try await SluiceCLI.run(["acl", "delete", "--topic", "payments", "--json", "--command-config", adminFile],
                                            bootstrap: broker.bootstrap)
            #expect((try SluiceCLI.json(removed) as? [[String: Any]])?.count == 1, "\(removed.stdout) \(removed.stderr)")
            // alice may not use the ACL commands.
            let aliceFile = try broker.propertiesFile(alice, name: "alice")
            let denied = try await SluiceCLI.run(["acl", "list", "--command-config", aliceFile], bootstrap: broker.bootstrap)
            #expect(denied.status != 0 && denied.stderr.contains("CLUSTER_AUTHORIZATION_FAILED"), "\(denied.stderr)")
        }
    }
}
