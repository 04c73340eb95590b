import ArgumentParser
import Foundation
import KafkaProtocol
import SluiceClient

/// `sluice cluster describe`: the cluster id, the controller, the brokers and their log dirs.
struct ClusterDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Show the cluster's id, controller and brokers (with --log-dirs, their disk use).")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .customLong("log-dirs"), help: "Also show each broker's log directories.") var logDirs = false

    func run() async throws {
        let withDirs = logDirs
        let (cluster, dirs) = try await client.run { client -> (ClusterDescription, [LogDirDescription]) in
            let admin = KafkaAdmin(client: client)
            let cluster = try await admin.describeCluster()
            return (cluster, withDirs ? try await admin.describeLogDirs() : [])
        }
        if output.json {
            var object: [String: Any] = [
                "clusterId": cluster.clusterId.map { $0 as Any } ?? NSNull(), "controller": Int(cluster.controllerId),
                "brokers": cluster.brokers.map {
                    ["id": Int($0.nodeId), "host": $0.address.host, "port": $0.address.port,
                     "rack": $0.rack.map { $0 as Any } ?? NSNull()] as [String: Any]
                },
            ]
            if withDirs {
                object["logDirs"] = dirs.map {
                    ["broker": Int($0.broker), "path": $0.path, "error": $0.error.name, "totalBytes": $0.totalBytes,
                     "usableBytes": $0.usableBytes, "partitions": $0.partitions.count,
                     "bytes": $0.partitions.map(\.size).reduce(0, +)] as [String: Any]
                }
            }
            Console.printJSON(object)
            return
        }
        var lines = ["cluster: \(cluster.clusterId ?? "?")   controller: \(cluster.controllerId >= 0 ? String(cluster.controllerId) : "none")"
            + "   brokers: \(cluster.brokers.count)"]
        var table = TablePrinter(["BROKER", "HOST", "PORT", "RACK", "ROLE"], alignments: [.right, .left, .right, .left, .left])
        for b in cluster.brokers {
            table.add([String(b.nodeId), b.address.host, String(b.address.port), b.rack ?? "-",
                       b.nodeId == cluster.controllerId ? "controller" : "broker"])
        }
        lines.append(table.render())
        if withDirs {
            var dirTable = TablePrinter(["BROKER", "LOG DIR", "PARTITIONS", "SIZE", "USABLE", "ERROR"],
                                        alignments: [.right, .left, .right, .right, .right, .left])
            for d in dirs {
                dirTable.add([String(d.broker), d.path, String(d.partitions.count), ByteCount.format(d.partitions.map(\.size).reduce(0, +)),
                              d.usableBytes >= 0 ? ByteCount.format(d.usableBytes) : "?", d.error.isError ? d.error.name : "-"])
            }
            lines.append("")
            lines.append(dirTable.render())
        }
        Console.print(lines.joined(separator: "\n"))
    }
}

/// `sluice cluster`: the client side of it (`describe`); `up`, `down`, `status`, `add-broker`,
/// `reassign` and `decommission` live in `Commands/Cluster/`.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Look at a cluster, or run a local one.",
        subcommands: [ClusterDescribeCommand.self, ClusterUpCommand.self, ClusterDownCommand.self, ClusterStatusCommand.self,
                      ClusterAddBrokerCommand.self, ClusterReassignCommand.self, ClusterDecommissionCommand.self])
}

enum ByteCount {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
