import ArgumentParser

/// The `sluice` command: the console by default, and the broker, cluster and client tools.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A Kafka-compatible event-streaming platform and its terminal console.",
        version: "0.1.0",
        subcommands: [
            // Each subcommand lives in Commands/<Name>Command.swift.
            ConsoleCommand.self,
            BrokerCommand.self,
            LogCommand.self,
            TopicCommand.self,
            ProduceCommand.self,
            ConsumeCommand.self,
            GroupCommand.self,
            UserCommand.self,
            AclCommand.self,
            QuotaCommand.self,
            ClusterCommand.self,
            BenchCommand.self,
            VerifyCommand.self,
            RaftToolCommand.self,
        ],
        defaultSubcommand: ConsoleCommand.self
    )
}
