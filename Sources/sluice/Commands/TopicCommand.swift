import ArgumentParser
import KafkaProtocol
import SluiceClient

/// `sluice topic`: create, list, describe, delete topics and change their configs.
struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Create, list, describe and delete topics, and change their configs.",
        subcommands: [TopicCreateCommand.self, TopicListCommand.self, TopicDescribeCommand.self,
                      TopicDeleteCommand.self, TopicAlterConfigCommand.self]
    )
}

struct TopicListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the topics.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .customLong("internal"), help: "Include internal topics (such as __consumer_offsets).")
    var includeInternal = false

    func run() async throws {
        let includeInternal = self.includeInternal
        let topics = try await client.run { client in
            try await KafkaAdmin(client: client).listTopics(includeInternal: includeInternal)
        }
        if output.json {
            Console.printJSON(topics.map {
                ["name": $0.name, "partitions": $0.partitions, "replicationFactor": $0.replicationFactor,
                 "internal": $0.isInternal, "topicId": $0.topicId.description] as [String: Any]
            })
            return
        }
        var table = TablePrinter(["TOPIC", "PARTITIONS", "REPLICATION"], alignments: [.left, .right, .right])
        for t in topics { table.add([t.name, String(t.partitions), String(t.replicationFactor)]) }
        Console.print(table.isEmpty ? "no topics" : table.render())
    }
}

struct TopicDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete topics and their data.")

    @OptionGroup var client: ClientOptions
    @Argument(help: "The topics to delete.") var names: [String]
    @Flag(name: .long, help: "Succeed when a topic does not exist.") var ifExists = false

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one topic") }
    }

    func run() async throws {
        let (names, ifExists) = (self.names, self.ifExists)
        try await client.run { client in
            // Refused before anything is deleted, whatever the cluster would say (Kafka itself
            // deletes __consumer_offsets when asked); Sluice's controller refuses them too.
            if let refusal = names.lazy.compactMap(InternalTopics.deletionRefusal).first {
                throw CommandFailure("refusing to delete: \(refusal) — nothing was deleted")
            }
            let admin = KafkaAdmin(client: client)
            for name in names {
                do {
                    try await admin.deleteTopics([name])
                    Console.note("deleted topic '\(name)'")
                } catch let error as KafkaClientError where ifExists && error.errorCode == .unknownTopicOrPartition {
                    Console.note("topic '\(name)' does not exist")
                }
            }
        }
    }
}

struct TopicAlterConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alter-config", abstract: "Set or remove a topic's configs (others keep their values).")

    @OptionGroup var client: ClientOptions
    @Argument(help: "The topic.") var name: String
    @Option(name: .long, help: "A config to set, name=value (repeatable), e.g. retention.ms=86400000.")
    var set: [String] = []
    @Option(name: .long, help: "A config to return to its default (repeatable).")
    var delete: [String] = []
    @Flag(name: .long, help: "Only check that the change would be accepted.") var validateOnly = false

    func validate() throws {
        if set.isEmpty && delete.isEmpty { throw ValidationError("give at least one --set name=value or --delete name") }
        for s in set { _ = try parseKeyValue(s, what: "--set") }
    }

    func run() async throws {
        var changes = try set.map { text -> ConfigChange in
            let (k, v) = try parseKeyValue(text, what: "--set")
            return .set(k, v)
        }
        changes += delete.map { ConfigChange.delete($0) }
        let (name, validateOnly, list) = (self.name, self.validateOnly, changes)
        try await client.run { client in
            try await KafkaAdmin(client: client).alterConfigs(.topic(name), list, validateOnly: validateOnly)
        }
        Console.note(validateOnly ? "the change to topic '\(name)' is valid" : "updated topic '\(name)'")
    }
}
