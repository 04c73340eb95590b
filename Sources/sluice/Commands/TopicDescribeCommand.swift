import Foundation
import ArgumentParser
import KafkaProtocol
import SluiceBase
import SluiceClient

struct TopicDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Show a topic's partitions (leader, replicas, ISR, offsets) and configs.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The topic.") var name: String
    @Flag(name: .long, help: "Also list every config, defaults included.") var configs = false

    struct Description: Sendable {
        var topic: TopicInfo
        var earliest: [TopicPartition: Int64]
        var latest: [TopicPartition: Int64]
        var configs: [ConfigEntry]
    }

    func run() async throws {
        let name = self.name
        let d = try await client.run { client -> Description in
            let admin = KafkaAdmin(client: client)
            guard let topic = try await admin.describeTopics([name]).first else {
                throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "topic '\(name)'")
            }
            let partitions = topic.partitions.map { TopicPartition(name, $0.partition) }
            let earliest = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, .earliest) }))
            let latest = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, .latest) }))
            let configs = try await admin.describeConfigs(.topic(name))
            return Description(topic: topic, earliest: earliest, latest: latest, configs: configs)
        }
        let showAll = configs
        let shownConfigs = d.configs.filter { showAll || !$0.isDefault }
        if output.json {
            let partitions = d.topic.partitions.map { p -> [String: Any] in
                let tp = TopicPartition(name, p.partition)
                return ["partition": Int(p.partition), "leader": Int(p.leader), "leaderEpoch": Int(p.leaderEpoch),
                        "replicas": p.replicas.map(Int.init), "isr": p.isr.map(Int.init),
                        "earliestOffset": d.earliest[tp] ?? -1, "latestOffset": d.latest[tp] ?? -1, "error": p.error.name]
            }
            var configs: [String: Any] = [:]
            for c in shownConfigs { configs[c.name] = c.isSensitive ? NSNull() : (c.value.map { $0 as Any } ?? NSNull()) }
            Console.printJSON(["topic": name, "topicId": d.topic.topicId.description, "internal": d.topic.isInternal,
                               "partitions": partitions, "configs": configs])
            return
        }
        var lines = ["topic: \(name)   id: \(d.topic.topicId)   partitions: \(d.topic.partitions.count)"
            + "   replication: \(d.topic.partitions.first?.replicas.count ?? 0)"]
        var table = TablePrinter(["PARTITION", "LEADER", "REPLICAS", "ISR", "EARLIEST", "LATEST", "RECORDS"],
                                 alignments: [.right, .right, .left, .left, .right, .right, .right])
        for p in d.topic.partitions {
            let tp = TopicPartition(name, p.partition)
            let first = d.earliest[tp] ?? -1
            let last = d.latest[tp] ?? -1
            table.add([String(p.partition), p.leader >= 0 ? String(p.leader) : "none",
                       p.replicas.map(String.init).joined(separator: ","), p.isr.map(String.init).joined(separator: ","),
                       String(first), String(last), first >= 0 && last >= 0 ? String(last - first) : "?"])
        }
        lines.append(table.render())
        if !shownConfigs.isEmpty {
            lines.append("")
            var configTable = TablePrinter(["CONFIG", "VALUE", "SOURCE"])
            for c in shownConfigs {
                configTable.add([c.name, c.isSensitive ? "(sensitive)" : (c.value ?? "(null)"), c.source.description])
            }
            lines.append(configTable.render())
        } else if !showAll {
            lines.append("\nno configs set on the topic (all defaults; --configs lists them)")
        }
        Console.print(lines.joined(separator: "\n"))
    }
}
