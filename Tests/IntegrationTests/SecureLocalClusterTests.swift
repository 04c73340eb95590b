import Foundation
import Testing

/// `sluice cluster up --secure`, as a user would try it: three brokers with SASL_SSL on every
/// listener (clients, replication, the metadata quorum), a generated CA, ACLs with `admin` as the
/// super user and SCRAM users `admin` and `demo`. The README's `kcat -F <data-dir>/client.properties
/// -L` lists the brokers; kcat without it cannot connect; the demo user writes to `sluice-demo…`
/// topics and is refused elsewhere; the other sluice commands find the cluster, and its client
/// settings, through the data directory with no flags at all.
@Suite(.serialized, .onTestThreads) struct SecureLocalClusterTests {
    @Test(.enabled(if: Clients.shouldRun(Clients.kcat), "kcat is not installed"))
    func aSecuredLocalClusterServesKcatWithItsClientProperties() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-secure-\(UUID().uuidString.prefix(8))").path
        let directory = home + "/sluice"
        try await withResource(directory, stop: { directory in
            await ClusterMembershipTests.clusterDown(directory)
            try? FileManager.default.removeItem(atPath: home)
        }) { directory in
            let up = try await SluiceCLI.run(["cluster", "up", "--secure", "--brokers", "3", "--data-dir", directory], bootstrap: nil, timeout: 120)
            try #require(up.status == 0, "\(up.stdout)\n\(up.stderr)")
            #expect(up.stdout.contains("secured (SASL_SSL, ACLs)") && up.stdout.contains("kcat -F \(directory)/client.properties -L"), "\(up.stdout)")
            let properties = try String(contentsOfFile: directory + "/client.properties", encoding: .utf8)
            #expect(properties.contains("security.protocol=SASL_SSL") && properties.contains("sasl.mechanism=SCRAM-SHA-512"), "\(properties)")
            let bootstrap = try String(contentsOfFile: directory + "/bootstrap", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let first = String(bootstrap.split(separator: ",")[0])

            // The README's command: admin over SCRAM-SHA-512 and TLS sees the three brokers.
            let listed = try await ClientRunner.run("kcat", ["-F", directory + "/client.properties", "-L", "-m", "20"], timeout: 60)
            #expect(listed.status == 0 && listed.stdout.contains("3 brokers:"), "\(listed.stdout)\n\(listed.stderr)")
            // Plaintext Kafka bytes on the TLS listener get nowhere.
            let plain = try await ClientRunner.run("kcat", ["-b", first, "-L", "-m", "5"], timeout: 30)
            #expect(plain.status != 0, "\(plain.stdout)")

            // No flags: the client commands read the data directory's bootstrap and client.properties.
            let created = try await SluiceCLI.run(["topic", "create", "ledger", "--partitions", "3"], bootstrap: nil,
                                                  environment: ["XDG_DATA_HOME": home, "HOME": home])
            #expect(created.status == 0, "\(created.stdout)\n\(created.stderr)")

            // The demo user: ACLs on sluice-demo… only.
            let demo = directory + "/demo.properties"
            let allowed = try await ClientRunner.run("kcat", ["-F", demo, "-P", "-t", "sluice-demo-events", "-m", "20"],
                                                     input: Data("one\ntwo\n".utf8), timeout: 60)
            #expect(allowed.status == 0 && !allowed.stderr.contains("failed"), "\(allowed.stderr)")
            let refused = try await ClientRunner.run("kcat", ["-F", demo, "-P", "-t", "ledger", "-m", "20"],
                                                     input: Data("three\n".utf8), timeout: 60)
            #expect(refused.stderr.contains("Topic authorization failed"), "\(refused.stderr)")
            let read = try await ClientRunner.run("kcat", ["-F", directory + "/client.properties", "-C", "-t", "sluice-demo-events",
                                                           "-o", "beginning", "-e", "-q", "-m", "20"], timeout: 60)
            #expect(read.stdout.split(separator: "\n") == ["one", "two"], "\(read.stdout)\n\(read.stderr)")

            // Status asks the brokers as admin: all serving.
            let status = try await SluiceCLI.run(["cluster", "status", "--data-dir", directory], bootstrap: nil)
            #expect(status.stdout.split(separator: "\n").filter { $0.contains("serving") }.count == 3, "\(status.stdout)")
        }
    }
}
