import ArgumentParser
import Foundation
import KafkaProtocol
import SluiceBase
import SluiceClient

struct GroupResetOffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-offsets",
        abstract: "Move a group's committed offsets (the group must have no running consumers).",
        discussion: "Shows the plan without changing anything unless --execute is given.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The group.") var group: String
    @Option(name: [.short, .long], help: "The topic whose offsets move.") var topic: String
    @Option(name: [.short, .customLong("partition")], help: "Only this partition (repeatable; default: all).")
    var partitions: [Int32] = []
    @Flag(name: .customLong("to-earliest"), help: "To each partition's first offset.") var toEarliest = false
    @Flag(name: .customLong("to-latest"), help: "To each partition's end (skip everything).") var toLatest = false
    @Option(name: .customLong("to-offset"), help: "To this offset.") var toOffset: Int64?
    @Option(name: .customLong("to-timestamp"), help: "To the first record at or after this time (ms or ISO 8601).")
    var toTimestamp: String?
    @Option(name: .customLong("shift-by"), help: "By this many records (negative: back).") var shiftBy: Int64?
    @Flag(name: .long, help: "Commit the new offsets (otherwise only show them).") var execute = false

    func validate() throws {
        let targets = [toEarliest, toLatest, toOffset != nil, toTimestamp != nil, shiftBy != nil].filter { $0 }.count
        if targets != 1 { throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-offset, --to-timestamp, --shift-by") }
        if let toTimestamp, ConsumeCommand.parseTimestamp(toTimestamp) == nil {
            throw ValidationError("--to-timestamp '\(toTimestamp)' is neither milliseconds nor ISO 8601")
        }
    }

    struct Move: Sendable {
        var tp: TopicPartition
        var old: Int64?
        var new: Int64
    }

    func run() async throws {
        let (group, topic, partitions, execute) = (self.group, self.topic, self.partitions, self.execute)
        let (toEarliest, toLatest, toOffset, shiftBy) = (self.toEarliest, self.toLatest, self.toOffset, self.shiftBy)
        let toTimestamp = self.toTimestamp.flatMap(ConsumeCommand.parseTimestamp)
        let moves = try await client.run { client -> [Move] in
            let admin = KafkaAdmin(client: client)
            guard let info = try await admin.describeTopics([topic]).first else { return [] }
            var tps = info.partitions.map { TopicPartition(topic, $0.partition) }
            if !partitions.isEmpty {
                for p in partitions where !tps.contains(TopicPartition(topic, p)) {
                    throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "partition \(topic)-\(p)")
                }
                tps = partitions.map { TopicPartition(topic, $0) }
            }
            let current = try await admin.groupOffsets(group, partitions: tps)
            let starts = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.earliest) }))
            let ends = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.latest) }))
            var targets: [TopicPartition: Int64] = [:]
            if let toTimestamp {
                targets = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.timestamp(toTimestamp)) }))
            }
            var moves: [Move] = []
            for tp in tps.sorted() {
                let lo = starts[tp] ?? 0
                let hi = ends[tp] ?? 0
                var target: Int64
                if toEarliest { target = lo }
                else if toLatest { target = hi }
                else if let toOffset { target = toOffset }
                else if let shiftBy { target = (current[tp]?.offset ?? lo) + shiftBy }
                else { target = targets[tp] ?? hi }
                target = min(max(target, lo), hi)  // as Kafka's tool does: clamp into the log's range
                moves.append(Move(tp: tp, old: current[tp]?.offset, new: target))
            }
            if execute {
                try await admin.alterGroupOffsets(group, Dictionary(uniqueKeysWithValues: moves.map { ($0.tp, $0.new) }))
            }
            return moves
        }
        if output.json {
            Console.printJSON(["group": group, "executed": execute, "partitions": moves.map {
                ["topic": $0.tp.topic, "partition": Int($0.tp.partition), "old": $0.old.map { $0 as Any } ?? NSNull(), "new": $0.new] as [String: Any]
            }])
            return
        }
        var table = TablePrinter(["TOPIC", "PARTITION", "OLD", "NEW"], alignments: [.left, .right, .right, .right])
        for m in moves { table.add([m.tp.topic, String(m.tp.partition), m.old.map(String.init) ?? "-", String(m.new)]) }
        Console.print(table.render())
        Console.note(execute ? "committed the new offsets for group '\(group)'" : "dry run: add --execute to commit these offsets")
    }
}
