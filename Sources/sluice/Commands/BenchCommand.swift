import ArgumentParser

/// `sluice bench`: performance measurements, each printed beside the machine's own limit.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Sluice's performance against the machine's limits.",
        subcommands: [BenchStorageCommand.self]
    )
}
