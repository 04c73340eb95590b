import ArgumentParser
import KafkaProtocol
import SluiceClient

struct TopicCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a topic.")

    @OptionGroup var client: ClientOptions
    @Argument(help: "The topic's name.") var name: String
    @Option(name: [.short, .long], help: "Number of partitions (default: the broker's num.partitions).")
    var partitions: Int32?
    @Option(name: [.short, .customLong("replication-factor")], help: "Replicas per partition (default: the broker's default.replication.factor).")
    var replicationFactor: Int16?
    @Option(name: .long, help: "A topic config, name=value (repeatable), e.g. cleanup.policy=compact.")
    var config: [String] = []
    @Flag(name: .long, help: "Succeed when the topic already exists.") var ifNotExists = false
    @Flag(name: .long, help: "Only check that the topic could be created.") var validateOnly = false

    func validate() throws {
        if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
        if let replicationFactor, replicationFactor < 1 { throw ValidationError("--replication-factor must be at least 1") }
        for c in config { _ = try parseKeyValue(c, what: "--config") }
    }

    func run() async throws {
        var configs: [String: String] = [:]
        for c in config {
            let (k, v) = try parseKeyValue(c, what: "--config")
            configs[k] = v
        }
        let topic = NewTopic(name: name, partitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1, configs: configs)
        let (ifNotExists, validateOnly) = (self.ifNotExists, self.validateOnly)
        let created = try await client.run { client -> Bool in
            do {
                try await KafkaAdmin(client: client).createTopic(topic, validateOnly: validateOnly)
                return true
            } catch let error as KafkaClientError where ifNotExists && error.errorCode == .topicAlreadyExists {
                return false
            }
        }
        if validateOnly {
            Console.note("topic '\(name)' can be created")
        } else {
            Console.note(created ? "created topic '\(name)'" : "topic '\(name)' already exists")
        }
    }
}
