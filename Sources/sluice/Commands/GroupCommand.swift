import ArgumentParser
import Foundation
import KafkaProtocol
import SluiceClient

/// `sluice group`: consumer groups, their members, lag and offsets.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "List and describe consumer groups, show their lag, reset their offsets.",
        subcommands: [GroupListCommand.self, GroupDescribeCommand.self, GroupLagCommand.self, GroupResetOffsetsCommand.self]
    )
}

struct GroupListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the groups.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let groups = try await client.run { client in try await KafkaAdmin(client: client).listGroups() }
        if output.json {
            Console.printJSON(groups.map {
                ["group": $0.groupId, "type": $0.type, "state": $0.state, "protocolType": $0.protocolType,
                 "coordinator": Int($0.coordinator)] as [String: Any]
            })
            return
        }
        // TYPE: the group protocol (classic, or consumer for KIP-848); PROTOCOL: the protocol type
        // its members declare (consumer for consumers, connect for Kafka Connect, ...).
        var table = TablePrinter(["GROUP", "TYPE", "STATE", "PROTOCOL", "COORDINATOR"], alignments: [.left, .left, .left, .left, .right])
        for g in groups {
            table.add([g.groupId, g.type.isEmpty ? "?" : g.type, g.state.isEmpty ? "?" : g.state,
                       g.protocolType.isEmpty ? "-" : g.protocolType, String(g.coordinator)])
        }
        Console.print(table.isEmpty ? "no groups" : table.render())
    }
}

struct GroupDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show a group's state and members.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The group.") var group: String

    func run() async throws {
        let group = self.group
        let description = try await client.run { client -> GroupDescription in
            guard let d = try await KafkaAdmin(client: client).describeGroups([group]).first else {
                throw KafkaClientError.broker(.groupIdNotFound, resource: "group '\(group)'")
            }
            if d.state == "Dead" { throw KafkaClientError.broker(.groupIdNotFound, resource: "group '\(group)'") }
            return d
        }
        if output.json {
            var json: [String: Any] = [
                "group": description.groupId, "type": description.type, "state": description.state,
                "protocolType": description.protocolType, "assignor": description.protocolName,
                "coordinator": Int(description.coordinator),
                "members": description.members.map { m -> [String: Any] in
                    var member: [String: Any] = ["memberId": m.memberId, "clientId": m.clientId, "host": m.clientHost,
                                                 "topics": m.subscribedTopics, "partitions": m.assignment.map(\.description)]
                    if let epoch = m.memberEpoch { member["memberEpoch"] = Int(epoch) }
                    if let target = m.targetAssignment { member["targetPartitions"] = target.map(\.description) }
                    return member
                },
            ]
            if let epoch = description.groupEpoch { json["groupEpoch"] = Int(epoch) }
            if let epoch = description.assignmentEpoch { json["assignmentEpoch"] = Int(epoch) }
            Console.printJSON(json)
            return
        }
        var header = "group: \(description.groupId)   type: \(description.type)   state: \(description.state)"
            + "   assignor: \(description.protocolName.isEmpty ? "-" : description.protocolName)"
            + "   coordinator: \(description.coordinator)   members: \(description.members.count)"
        if let epoch = description.groupEpoch, let target = description.assignmentEpoch {
            header += "\ngroup epoch: \(epoch)   target assignment epoch: \(target)"
        }
        var lines = [header]
        if !description.members.isEmpty {
            func list(_ partitions: [TopicPartition]) -> String {
                partitions.isEmpty ? "-" : partitions.map(\.description).joined(separator: ",")
            }
            if description.type == "consumer" {
                // Current vs target: while they differ, the member is giving up (REVOKING) or
                // waiting for (ASSIGNING) partitions.
                var table = TablePrinter(["MEMBER", "CLIENT ID", "HOST", "EPOCH", "PARTITIONS", "TARGET", "REVOKING", "ASSIGNING"],
                                         alignments: [.left, .left, .left, .right, .left, .left, .left, .left])
                for m in description.members {
                    table.add([m.memberId, m.clientId, m.clientHost, m.memberEpoch.map(String.init) ?? "-", list(m.assignment),
                               list(m.targetAssignment ?? []), list(m.revoking), list(m.assigning)])
                }
                lines.append(table.render())
            } else {
                var table = TablePrinter(["MEMBER", "CLIENT ID", "HOST", "PARTITIONS"])
                for m in description.members {
                    table.add([m.memberId, m.clientId, m.clientHost, m.assignment.map(\.description).joined(separator: ",")])
                }
                lines.append(table.render())
            }
        }
        Console.print(lines.joined(separator: "\n"))
    }
}

struct GroupLagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag", abstract: "Show a group's committed offsets, the log end offsets and the lag between them.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The group.") var group: String
    @Option(name: [.short, .customLong("topic")], help: "Only these topics (repeatable); their uncommitted partitions are shown too.")
    var topics: [String] = []

    func run() async throws {
        let (group, topics) = (self.group, self.topics)
        let lags = try await client.run { client in
            try await KafkaAdmin(client: client).groupLag(group, topics: topics.isEmpty ? nil : topics)
        }
        let total = lags.compactMap(\.lag).reduce(0, +)
        if output.json {
            Console.printJSON(["group": group, "totalLag": total, "partitions": lags.map {
                ["topic": $0.topicPartition.topic, "partition": Int($0.topicPartition.partition),
                 "committed": $0.committed.map { $0 as Any } ?? NSNull(), "logEnd": $0.logEnd,
                 "lag": $0.lag.map { $0 as Any } ?? NSNull(), "owner": $0.owner.map { $0 as Any } ?? NSNull()] as [String: Any]
            }])
            return
        }
        if lags.isEmpty {
            Console.print("group '\(group)' has no committed offsets")
            return
        }
        var table = TablePrinter(["TOPIC", "PARTITION", "COMMITTED", "LOG END", "LAG", "OWNER"],
                                 alignments: [.left, .right, .right, .right, .right, .left])
        for l in lags {
            table.add([l.topicPartition.topic, String(l.topicPartition.partition), l.committed.map(String.init) ?? "-",
                       String(l.logEnd), l.lag.map(String.init) ?? "-", l.owner ?? "-"])
        }
        Console.print(table.render() + "\ntotal lag: \(total)")
    }
}
