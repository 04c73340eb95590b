import ArgumentParser

/// `sluice bench`: load generators in the manner of Kafka's perf-test tools.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency of a cluster.",
        subcommands: [BenchProduceCommand.self, BenchConsumeCommand.self, BenchE2ECommand.self]
    )
}
