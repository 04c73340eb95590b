import Foundation
import Testing
@testable import SluiceConsole

/// The console watching a secured cluster, the way people run theirs: a `sluice broker` with only
/// a SASL_SSL listener (PLAIN users, a test CA) and Kafka's StandardAuthorizer (`admin` a super
/// user), watched as `alice` with `sluice console --bootstrap … --command-config FILE` holding the
/// same client settings as every other command. The header says SASL_SSL alice; with no ACL the
/// Topics view says alice may describe no topic (not "no topics yet"), and once an ACL grants
/// DESCRIBE the topic shows; with a wrong password, or plaintext against the TLS listener, the
/// console says which setting to check instead of "nothing answers".
@Suite(.serialized, .onTestThreads) struct ConsoleSecureTmuxTests {
    /// Starts the secured broker; its bootstrap address and the client settings files.
    static func withSecuredBroker(_ body: (_ bootstrap: String, _ clientConfig: (String) throws -> String) async throws -> Void) async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let server = try await pki.issue("broker", subject: "/CN=localhost/O=Sluice Test")
        let dir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let jaas = #"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";"#
        try """
            node.id=1
            listeners=SASL_SSL://127.0.0.1:0
            log.dirs=\(dir)/data
            ssl.keystore.type=PEM
            ssl.keystore.location=\(server.bundle)
            ssl.truststore.type=PEM
            ssl.truststore.location=\(pki.caCertificate)
            sasl.enabled.mechanisms=PLAIN
            listener.name.sasl_ssl.plain.sasl.jaas.config=\(jaas)
            authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
            super.users=User:admin
            """.write(toFile: dir + "/broker.properties", atomically: true, encoding: .utf8)
        let log = dir + "/broker.log"
        let broker = try SpawnedProcesses.spawn([try ConsoleTmuxTests.sluiceBinary(), "broker", "--config", dir + "/broker.properties",
                                                 "--exit-with-parent"], output: log)
        try await withResource(broker, stop: { await SpawnedProcesses.stop($0) }) { _ in
            var port: String?
            _ = try await poll(until: "the secured broker ready", timeout: .seconds(60), every: .milliseconds(100)) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                port = text.firstMatch(of: /listening on 127\.0\.0\.1:([0-9]+)/).map { String($0.output.1) }
                return port != nil && text.contains("sluice broker 1 ready")
            }
            let clientConfig = { (password: String) throws -> String in
                let path = dir + "/client-\(password).properties"
                try """
                    security.protocol=SASL_SSL
                    sasl.mechanism=PLAIN
                    sasl.username=\(password == "admin-secret" ? "admin" : "alice")
                    sasl.password=\(password)
                    ssl.ca.location=\(pki.caCertificate)
                    """.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            try await body("127.0.0.1:\(port!)", clientConfig)
        }
    }

    static func withRemoteConsole(_ arguments: String, _ body: (TmuxSession) async throws -> Void) async throws {
        let binary = try ConsoleTmuxTests.sluiceBinary()
        let command = "env -u NO_COLOR -u SLUICE_COMMAND_CONFIG LANG=C.UTF-8 TERM=xterm-256color '\(binary)' console \(arguments) --refresh 0.5;"
            + " echo \"console exited $?\"; sleep 120"
        try await TmuxSession.with(command: command, width: 160, height: 30) { tmux in
            try await body(tmux)
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 20)
        }
    }

    @Test func theConsoleWatchesASaslSslClusterWithACommandConfig() async throws {
        try await Self.withSecuredBroker { bootstrap, clientConfig in
            let good = try clientConfig("alice-secret"), admin = try clientConfig("admin-secret")
            let sluice = try ConsoleTmuxTests.sluiceBinary()
            _ = try await TmuxSession.run(sluice, ["topic", "create", "guarded", "--partitions", "3",
                                                   "--bootstrap", bootstrap, "--command-config", admin])
            try await Self.withRemoteConsole("--bootstrap \(bootstrap) --command-config '\(good)'") { tmux in
                // The header says how the console is connected, and as whom.
                try await tmux.waitFor("the secured broker up", seconds: 30) {
                    $0.contains("brokers 1/1 up") && $0.contains("SASL_SSL alice")
                }
                try await tmux.send("2")
                let hidden = try await tmux.waitFor("the ACLs said to hide the topics", seconds: 10) {
                    $0.contains("No topics this principal is authorised to describe")
                }
                #expect(!hidden.contains("No topics yet") && !hidden.contains("guarded"), "\(hidden)")
                _ = try await TmuxSession.run(sluice, ["acl", "create", "--allow-principal", "User:alice", "--operation", "describe",
                                                       "--topic", "guarded", "--bootstrap", bootstrap, "--command-config", admin])
                try await tmux.waitFor("the topic listed once alice may describe it", seconds: 15) {
                    $0.contains("guarded") && $0.contains("topics 1")
                }
            }

            // A wrong password: the broker answers, and refuses; the console says what to check.
            let wrong = try clientConfig("not-her-password")
            try await Self.withRemoteConsole("--bootstrap \(bootstrap) --command-config '\(wrong)'") { tmux in
                let screen = try await tmux.waitFor("the refusal explained", seconds: 30) {
                    $0.contains("\(bootstrap) refused the credentials") && $0.contains("SASL_AUTHENTICATION_FAILED")
                }
                #expect(!screen.contains("Nothing answers"), "\(screen)")
            }

            // No command config: plaintext against the TLS listener.
            try await Self.withRemoteConsole("--bootstrap \(bootstrap)") { tmux in
                _ = try await tmux.waitFor("the TLS mismatch explained", seconds: 30) { $0.contains("No TLS agreement with \(bootstrap)") }
            }
        }
    }

    /// `sluice --secure`: the embedded cluster secured. The console connects as admin (the header
    /// says SASL_SSL admin), creates the SCRAM users and the demo ACLs once the brokers answer
    /// (an event says so, naming client.properties), and the demo load, running as the demo user
    /// within its ACLs, produces and its group consumes.
    @Test func theEmbeddedClusterSecuredRunsTheDemoLoadAsTheDemoUser() async throws {
        let dataDir = ConsoleTmuxTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let binary = try ConsoleTmuxTests.sluiceBinary()
        let command = "env -u NO_COLOR LANG=C.UTF-8 TERM=xterm-256color '\(binary)' --secure --data-dir '\(dataDir)' --fresh --brokers 1"
            + " --refresh 0.5; echo \"console exited $?\"; sleep 120"
        try await TmuxSession.with(command: command, width: 160, height: 40) { tmux in
            try await tmux.waitFor("the secured broker up", seconds: 60) { $0.contains("brokers 1/1 up") && $0.contains("SASL_SSL admin") }
            try await tmux.send("6")
            try await tmux.waitFor("the users created", seconds: 60) { $0.contains("Secured cluster ready") }
            let properties = try String(contentsOfFile: dataDir + "/client.properties", encoding: .utf8)
            #expect(properties.contains("sasl.username=admin") && properties.contains("security.protocol=SASL_SSL"), "\(properties)")
            try await tmux.send("l", "4")
            try await tmux.waitFor("the demo group consuming as the demo user", seconds: 90) { s in
                s.split(separator: "\n").contains { $0.contains("sluice-demo-readers") && $0.contains(" Stable ") }
            }
            try await tmux.send("q")
            try await tmux.waitFor("console exited 0", seconds: 30)
        }
        let properties = (try? String(contentsOfFile: dataDir + "/broker-1.properties", encoding: .utf8)) ?? ""
        #expect(properties.contains("listeners=SASL_SSL://") && !properties.contains("PLAINTEXT://"), "\(properties)")
    }

    @Test func aCommandConfigWithoutBootstrapIsRefused() async throws {
        do {
            let output = try await TmuxSession.run(try ConsoleTmuxTests.sluiceBinary(), ["console", "--command-config", "/nonexistent"])
            Issue.record("the console started: \(output)")
        } catch {
            #expect("\(error)".contains("--command-config is for a remote cluster"), "\(error)")
        }
    }
}
