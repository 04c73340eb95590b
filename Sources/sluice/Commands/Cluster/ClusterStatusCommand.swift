import ArgumentParser
import Foundation
import SluiceBase
import SluiceClient
import SluiceConsole
import SluiceLocalCluster

/// `sluice cluster status`: the local cluster's processes and what the cluster says of them.
struct ClusterStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the local cluster's brokers: process, address, role, registration.")

    @Option(name: .long, help: "The cluster's directory (default: the client commands' data directory).") var dataDir: String?

    func run() async throws {
        let cluster = LocalCluster(directory: dataDir ?? BootstrapLookup.defaultDataDirectory())
        guard let state = cluster.load() else { throw ValidationError("no cluster in \(cluster.directory)") }
        // Who runs each broker now (restarted by hand or by the console included), from its data directory's lock.
        let pids = Dictionary(uniqueKeysWithValues: state.members.map { ($0.id, cluster.runningPid($0.id)) })
        let running = state.members.filter { pids[$0.id]! != nil }
        var metadata: ClusterMetadata?
        if !running.isEmpty {
            var configuration = ClientConfiguration(
                bootstrapServers: running.map { BrokerAddress(host: "127.0.0.1", port: $0.port) }, clientId: "sluice-cluster-status",
                connectTimeout: .seconds(2), requestTimeout: .seconds(5),
                retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(500)))
            if let security = state.security {
                configuration.security = try SecureClusterSetup.adminSecurity(security, tls: cluster.tlsFiles)
            }
            let client = KafkaClient(configuration: configuration)
            metadata = try? await client.metadata(topics: nil, refresh: true)
            await client.close()
        }
        print("cluster in \(cluster.directory): \(running.count) of \(state.members.count) broker process(es) running"
              + (metadata.map { ", controller \($0.controllerId >= 0 ? String($0.controllerId) : "none"), cluster id \($0.clusterId ?? "?")" } ?? ""))
        var table = TablePrinter(["BROKER", "PID", "ADDRESS", "ROLE", "STATE", "LEADS", "METRICS"],
                                 alignments: [.right, .right, .left, .left, .left, .right, .left])
        for member in state.members.sorted(by: { $0.id < $1.id }) {
            let pid = pids[member.id]!
            let alive = pid != nil
            let registered = metadata?.brokers[member.id] != nil
            let leads = metadata?.topics.values.reduce(0) { $0 + $1.partitions.filter { $0.leader == member.id }.count }
            let role = member.controllerPort == nil ? "broker" : (metadata?.controllerId == member.id ? "broker,controller*" : "broker,controller")
            table.add([String(member.id), pid.map(String.init) ?? "-", "127.0.0.1:\(member.port)", role,
                       !alive ? "stopped" : (metadata == nil ? "unreachable" : (registered ? "serving" : "fenced")),
                       leads.map(String.init) ?? "-", member.metricsURL.map { "\($0)/metrics" } ?? "-"])
        }
        print(table.render())
    }
}
