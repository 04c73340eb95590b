import ArgumentParser

/// `sluice bench`: load generators in the manner of Kafka's perf-test tools, and measurements of
/// Sluice's parts against the machine's limits.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency of a cluster, and of Sluice's parts against the machine's limits.",
        subcommands: [BenchProduceCommand.self, BenchConsumeCommand.self, BenchE2ECommand.self, BenchStorageCommand.self]
    )
}
