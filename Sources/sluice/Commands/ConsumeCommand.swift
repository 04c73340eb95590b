import ArgumentParser
import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceClient

/// `sluice consume TOPIC`: print a topic's records, following new ones until Ctrl-C.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's records, following new ones until Ctrl-C.",
        discussion: """
            Without --group the command reads every partition (or those given with --partition) \
            from the end, or from where --from-beginning, --offset or --timestamp say. With \
            --group it joins that consumer group, starts from the group's committed offsets and \
            commits what it printed; --group-protocol consumer uses KIP-848's protocol (the broker \
            assigns, rebalances are incremental). Ctrl-C stops cleanly (commit, leave the group) with \
            exit code 0.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }
    enum GroupProtocolOption: String, ExpressibleByArgument, CaseIterable { case classic, consumer }
    enum IsolationOption: String, ExpressibleByArgument, CaseIterable {
        case readUncommitted = "read_uncommitted", readCommitted = "read_committed"
    }

    @OptionGroup var client: ClientOptions
    @Argument(help: "The topic.") var topic: String
    @Option(name: [.short, .customLong("partition")], help: "Read only this partition (repeatable).")
    var partitions: [Int32] = []
    @Flag(name: .long, help: "Start at each partition's first record (with --group: when the group has no commit).")
    var fromBeginning = false
    @Option(name: .long, help: "Start at this offset (in every partition read).") var offset: Int64?
    @Option(name: .long, help: "Start at the first record at or after this time: milliseconds since the epoch, or ISO 8601.")
    var timestamp: String?
    @Option(name: [.short, .long], help: "Join this consumer group and commit progress.") var group: String?
    @Option(name: .long, help: "With --group: classic (JoinGroup/SyncGroup) or consumer (KIP-848, group.protocol=consumer).")
    var groupProtocol: GroupProtocolOption = .classic
    @Option(name: .long, help: "With --group-protocol consumer: the broker's assignor to ask for (uniform, range).")
    var remoteAssignor: String?
    @Option(name: .long, help: ArgumentHelp(
        "isolation.level: read_uncommitted (everything) or read_committed (committed transactions only).",
        discussion: "read_committed stops at the last stable offset (an open transaction holds it) and leaves out the records of aborted transactions; --exit-at-end then ends at the last stable offset."))
    var isolationLevel: IsolationOption = .readUncommitted
    @Option(name: .long, help: "Output: text (value per line) or json (one object per line).") var format: Format = .text
    @Option(name: [.short, .customLong("key-separator")], help: "Text format: print key, separator, value.")
    var keySeparator: String?
    @Option(name: .customShort("n"), help: "Stop after this many records.") var count: Int?
    @Flag(name: [.short, .customLong("exit-at-end")], help: "Stop at the end of the partitions instead of following.")
    var exitAtEnd = false
    @Option(name: .customLong("default-api-timeout-ms"), help: ArgumentHelp(
        "default.api.timeout.ms: how long to wait for the topic to appear (created a moment ago through another broker).",
        discussion: "Kafka's consumer waits 60000 ms; the command gives up sooner on a topic that does not exist."))
    var defaultApiTimeoutMs: Int = 10_000

    func validate() throws {
        let starts = [fromBeginning, offset != nil, timestamp != nil].filter { $0 }.count
        if starts > 1 { throw ValidationError("use only one of --from-beginning, --offset, --timestamp") }
        if let offset, offset < 0 { throw ValidationError("--offset cannot be negative") }
        if let timestamp, Self.parseTimestamp(timestamp) == nil {
            throw ValidationError("--timestamp '\(timestamp)' is neither milliseconds nor ISO 8601 (2024-05-01T12:00:00Z)")
        }
        if let count, count < 1 { throw ValidationError("-n must be at least 1") }
        guard defaultApiTimeoutMs >= 0 else { throw ValidationError("--default-api-timeout-ms cannot be negative") }
        if group != nil && (offset != nil || timestamp != nil || !partitions.isEmpty) {
            throw ValidationError("--group starts from the group's commits; --offset, --timestamp and --partition need no group")
        }
        if group == nil && groupProtocol != .classic {
            throw ValidationError("--group-protocol needs --group")
        }
        if remoteAssignor != nil && groupProtocol != .consumer {
            throw ValidationError("--remote-assignor needs --group-protocol consumer")
        }
    }

    static func parseTimestamp(_ text: String) -> Int64? {
        if let ms = Int64(text), ms >= 0 { return ms }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        }
        return nil
    }

    func run() async throws {
        let start: StartPosition
        if let offset { start = .offset(offset) }
        else if let timestamp { start = .timestamp(Self.parseTimestamp(timestamp)!) }
        else if fromBeginning { start = .earliest }
        else { start = .latest }
        let options = (topic: topic, partitions: partitions, group: group, format: format, separator: keySeparator,
                       count: count, exitAtEnd: exitAtEnd, fromBeginning: fromBeginning,
                       groupProtocol: ConsumerGroupProtocol(rawValue: groupProtocol.rawValue) ?? .classic,
                       remoteAssignor: remoteAssignor, apiTimeout: Duration.milliseconds(defaultApiTimeoutMs),
                       isolation: isolationLevel == .readCommitted ? IsolationLevel.readCommitted : .readUncommitted)
        let printed = try await client.run { client -> Int in
            let configuration = ConsumerConfiguration(groupId: options.group,
                                                      autoOffsetReset: options.fromBeginning ? .earliest : .latest,
                                                      isolationLevel: options.isolation,
                                                      groupProtocol: options.groupProtocol,
                                                      groupRemoteAssignor: options.remoteAssignor,
                                                      defaultApiTimeout: options.apiTimeout)
            let consumer = KafkaConsumer(client: client, configuration: configuration)
            let admin = KafkaAdmin(client: client)
            // A topic created a moment ago may not have reached the broker asked yet: wait for it.
            let info = try await client.waitForTopic(options.topic, allowAutoTopicCreation: false, timeout: options.apiTimeout)
            var chosen = info.partitions.map(\.partition)
            if !options.partitions.isEmpty {
                for p in options.partitions where !chosen.contains(p) {
                    throw KafkaClientError.broker(.unknownTopicOrPartition, resource: "partition \(options.topic)-\(p)",
                                                  message: "topic '\(options.topic)' has \(chosen.count) partition(s)")
                }
                chosen = options.partitions
            }
            let tps = chosen.map { TopicPartition(options.topic, $0) }
            if options.group != nil {
                try await consumer.subscribe(topics: [options.topic])
            } else {
                try await consumer.assign(Dictionary(uniqueKeysWithValues: tps.map { ($0, start) }))
            }
            var ends: [TopicPartition: Int64] = [:]
            if options.exitAtEnd {
                ends = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.latest) }),
                                                   isolationLevel: options.isolation)
            }
            let endOffsets = ends
            let printer = RecordPrinter(format: options.format, keySeparator: options.separator)
            let total = NIOLockedValueBox(0)
            _ = try await runInterruptible {
                var remaining = options.count ?? Int.max
                var idleAtEnd = 0
                while remaining > 0 {
                    if options.exitAtEnd {
                        let done = consumer.assignment.allSatisfy { tp in (consumer.position(tp) ?? 0) >= (endOffsets[tp] ?? 0) }
                        if done { break }
                    }
                    let records = try await consumer.poll(maxRecords: min(remaining, 1000), timeout: .milliseconds(500))
                    // The last records before the end may be markers or aborted ones, which no
                    // record shows: the fetches past the end twice with nothing left is the end too.
                    if options.exitAtEnd && records.isEmpty {
                        let fetchedPast = consumer.assignment.allSatisfy { tp in (consumer.fetchPosition(tp) ?? 0) >= (endOffsets[tp] ?? 0) }
                        idleAtEnd = fetchedPast ? idleAtEnd + 1 : 0
                        if idleAtEnd >= 2 { break }
                    }
                    printer.write(records)
                    remaining -= records.count
                    total.withLockedValue { $0 += records.count }
                }
            }
            await consumer.close()
            return total.withLockedValue { $0 }
        }
        if format == .text && isatty(STDERR_FILENO) != 0 { Console.note("\(printed) record(s)") }
    }
}

/// Formats records for standard output, one write per batch.
struct RecordPrinter {
    let format: ConsumeCommand.Format
    let keySeparator: String?

    func write(_ records: [ConsumerRecord]) {
        guard !records.isEmpty else { return }
        var out = ""
        for r in records {
            switch format {
            case .text:
                if let keySeparator { out += (r.key.map { String(buffer: $0) } ?? "") + keySeparator }
                out += r.value.map { String(buffer: $0) } ?? ""
            case .json:
                var headers: [[String: Any]] = []
                for h in r.headers { headers.append(["key": h.key, "value": h.value.map { String(buffer: $0) as Any } ?? NSNull()]) }
                let object: [String: Any] = [
                    "topic": r.topic, "partition": Int(r.partition), "offset": r.offset, "timestamp": r.timestamp,
                    "key": r.key.map { String(buffer: $0) as Any } ?? NSNull(),
                    "value": r.value.map { String(buffer: $0) as Any } ?? NSNull(),
                    "headers": headers,
                ]
                out += JSON.encode(object)
            }
            out += "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

import NIOConcurrencyHelpers
