import ArgumentParser
import Foundation
import SluiceClient
import SluiceLocalCluster

/// `sluice cluster down`: stops the local cluster's brokers cleanly (SIGTERM: each moves its
/// leaderships away and stops), keeping their data for the next `cluster up`. A broker is found by
/// the lock it holds on its data directory (with its pid inside), so one restarted by hand or by
/// the console is stopped too.
struct ClusterDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop the local cluster started by `sluice cluster up` (its data is kept).")

    @Option(name: .long, help: "The cluster's directory (default: the client commands' data directory).") var dataDir: String?
    @Option(name: .long, help: "Seconds each broker gets to stop before SIGKILL.") var grace: Double = 30
    @Flag(name: .long, help: "Also delete the cluster's directory (all data).") var purge = false

    func run() async throws {
        let cluster = LocalCluster(directory: dataDir ?? BootstrapLookup.defaultDataDirectory())
        guard var state = cluster.load() else { throw ValidationError("no cluster in \(cluster.directory)") }
        // Brokers first, voters last (highest id first), so the quorum stays up while brokers leave.
        let order = state.members.sorted { ($0.controllerPort == nil ? 0 : 1, -$0.id) < ($1.controllerPort == nil ? 0 : 1, -$1.id) }
        // Each broker is found through its data directory's lock, whoever started it: `cluster up`,
        // the console, or a restart by hand. A pid in cluster.json that no longer runs the broker
        // (it died, and the number may be another process's by now) is never signalled.
        for member in order {
            guard let (pid, clean) = cluster.stopBroker(member.id, grace: grace) else { continue }
            print("broker \(member.id) (pid \(pid)) \(clean ? "stopped" : "killed after \(Int(grace)) s")")
        }
        for index in state.members.indices { state.members[index].pid = 0 }
        if purge {
            try FileManager.default.removeItem(atPath: cluster.directory)
            print("deleted \(cluster.directory)")
        } else {
            try cluster.save(state)
        }
    }
}
