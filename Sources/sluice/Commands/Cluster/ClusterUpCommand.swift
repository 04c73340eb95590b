import ArgumentParser
import Foundation
import SluiceBase
import SluiceClient
import SluiceConsole
import SluiceLocalCluster

/// `sluice cluster up`: a local cluster of broker processes in the background.
struct ClusterUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster of brokers in the background.",
        discussion: """
            Each broker is a `sluice broker` process with its own properties file, log file and data \
            directory under --data-dir; the first --controllers brokers (at most 3 by default) are also \
            the metadata quorum's voters, the others observe it. Writes <data-dir>/bootstrap (which the \
            client commands read), prints the bootstrap servers and returns once every broker answers \
            Metadata with the whole cluster. Run again after `cluster down` to restart the same cluster \
            (same ports, same data).
            """)

    @Option(name: .long, help: "How many brokers (for a new cluster).") var brokers: Int = 3
    @Option(name: .long, help: "How many of them are metadata voters (default: min(brokers, 3)).") var controllers: Int?
    @Option(name: .long, help: "The cluster's directory (default: the client commands' data directory).") var dataDir: String?
    @Option(name: .long, help: "Spread brokers over this many racks (broker.rack = rack-1, rack-2, ...).") var racks: Int?
    @Option(name: .long, help: "Seconds to wait for the brokers.") var timeout: Double = 60
    @Flag(name: .long, help: ArgumentHelp(
        "A new cluster secured: SASL_SSL listeners, a generated CA, ACLs, SCRAM users admin and demo.",
        discussion: "Writes <data-dir>/client.properties (admin) and demo.properties: `kcat -F <data-dir>/client.properties -L`; "
            + "the other sluice commands read client.properties by themselves when they find the cluster through <data-dir>."))
    var secure = false

    func validate() throws {
        guard (1...99).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 99") }
        if let controllers, !(1...brokers).contains(controllers) {
            throw ValidationError("--controllers must be between 1 and --brokers")
        }
    }

    func run() async throws {
        let cluster = LocalCluster(directory: dataDir ?? BootstrapLookup.defaultDataDirectory())
        try FileManager.default.createDirectory(atPath: cluster.directory, withIntermediateDirectories: true)
        var state: LocalCluster.State
        if let legacy = cluster.legacyConsoleBrokers() {
            throw ValidationError("\(cluster.directory) holds a \(legacy.count)-broker cluster of an older sluice console (no metadata "
                                  + "quorum); `sluice console --brokers 1` runs it, or choose another --data-dir")
        }
        if let existing = cluster.load() {
            if let running = existing.members.first(where: { cluster.runningPid($0.id) != nil }) {
                throw ValidationError("a cluster is already running in \(cluster.directory) (broker \(running.id), "
                                      + "pid \(cluster.runningPid(running.id) ?? running.pid)); "
                                      + "`sluice cluster down` stops it, `sluice cluster add-broker` adds a broker")
            }
            if secure && existing.security == nil {
                throw ValidationError("the cluster in \(cluster.directory) was created without --secure; remove that directory "
                                      + "(its data goes too) or choose another --data-dir for a secured one")
            }
            state = existing
            if state.security != nil { try cluster.ensureCertificates() }
            for index in state.members.indices { state.members[index].pid = try cluster.spawn(state.members[index].id) }
        } else {
            state = try Self.create(cluster, brokers: brokers, voters: controllers ?? min(brokers, 3), racks: racks, secure: secure)
        }
        try cluster.save(state)
        let bootstrap = state.members.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        let adminSecurity = try state.security.map { try SecureClusterSetup.adminSecurity($0, tls: cluster.tlsFiles) }
        try await Self.waitUntilServing(state.members, expected: state.members.count, timeout: timeout, cluster: cluster,
                                        security: adminSecurity)
        if let security = state.security {
            do {
                try await SecureClusterSetup.provision(security, cluster: cluster,
                                                       bootstrap: state.members.map { BrokerAddress(host: "127.0.0.1", port: $0.port) },
                                                       timeout: .seconds(timeout))
            } catch {
                throw ValidationError("the secured cluster runs, but creating its users failed: \(error)")
            }
        }
        print("cluster of \(state.members.count) broker(s) up in \(cluster.directory)")
        for member in state.members.sorted(by: { $0.id < $1.id }) {
            print("  broker \(member.id)  pid \(member.pid)  127.0.0.1:\(member.port)"
                  + (member.controllerPort.map { "  controller 127.0.0.1:\($0)" } ?? "")
                  + (member.metricsURL.map { "  metrics \($0)/metrics" } ?? "") + "  log \(cluster.logPath(member.id))")
        }
        print("bootstrap servers: \(bootstrap)")
        if state.security != nil {
            print("secured (SASL_SSL, ACLs): users admin and demo; client settings \(cluster.clientPropertiesPath) "
                  + "(kcat -F \(cluster.clientPropertiesPath) -L), demo user's \(cluster.demoPropertiesPath)")
        }
    }

    /// Ports, properties files and processes of a new cluster.
    static func create(_ cluster: LocalCluster, brokers: Int, voters: Int, racks: Int?, secure: Bool = false) throws -> LocalCluster.State {
        var state = try LocalCluster.plan(brokers: brokers, voters: voters, racks: racks)
        if secure {
            state.security = .generate()
            try cluster.ensureCertificates()
        }
        for member in state.members { try cluster.writeProperties(member, in: state) }
        for index in state.members.indices { state.members[index].pid = try cluster.spawn(state.members[index].id) }
        return state
    }

    /// Waits until each member answers Metadata listing `expected` brokers and a controller.
    static func waitUntilServing(_ members: [LocalCluster.Member], expected: Int, timeout: Double,
                                 cluster: LocalCluster, security: ClientSecurity? = nil) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        for member in members {
            var configuration = ClientConfiguration(
                bootstrapServers: [BrokerAddress(host: "127.0.0.1", port: member.port)], clientId: "sluice-cluster-up",
                connectTimeout: .seconds(2), requestTimeout: .seconds(5),
                retry: RetryPolicy(maxAttempts: 1, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(50)))
            if let security { configuration.security = security }
            let client = KafkaClient(configuration: configuration)
            defer { Task { await client.close() } }
            while true {
                if !LocalCluster.isAlive(member.pid) {
                    throw ValidationError("broker \(member.id) exited; see \(cluster.logPath(member.id))")
                }
                if let metadata = try? await client.metadata(topics: [], refresh: true),
                   metadata.brokers.count >= expected, metadata.controllerId >= 0 {
                    break
                }
                guard Date() < deadline else {
                    throw ValidationError("broker \(member.id) did not serve the whole cluster within \(Int(timeout)) s; "
                                          + "see \(cluster.logPath(member.id))")
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            await client.close()
        }
    }
}
