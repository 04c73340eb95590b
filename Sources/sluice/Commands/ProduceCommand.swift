import ArgumentParser
import Foundation
import KafkaProtocol
import NIOCore
import SluiceClient

/// `sluice produce TOPIC`: one record per input line.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send one record per line of standard input (or a file) to a topic.",
        discussion: """
            Each line is a record's value; with --key-separator, the text before the first separator \
            is the key. Records are batched; the command waits until all are acknowledged and \
            reports how many were sent. Kafka's producer defaults: acks=all and idempotence, so a \
            retry never writes a record twice; a record that fails after a timeout may have been \
            written, and the error says so. A missing topic is created when the brokers' \
            auto.create.topics.enable allows (Kafka's default), as kafka-console-producer and kcat do. \
            Exit codes: 0 all sent, 1 the cluster refused some, 2 unreachable, 65 a malformed input \
            line, 130 interrupted.
            """
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The topic.") var topic: String
    @Option(name: [.short, .long], help: "Read lines from this file instead of standard input.") var file: String?
    @Option(name: [.short, .customLong("key-separator")], help: "Split each line into key and value at the first occurrence of this text.")
    var keySeparator: String?
    @Option(name: [.customShort("H"), .customLong("header")], help: "A header for every record, key=value (repeatable).")
    var headers: [String] = []
    @Option(name: [.short, .long], help: "Send every record to this partition (default: by key, or sticky for no key).")
    var partition: Int32?
    @Option(name: .long, help: "Acknowledgements to wait for (acks): 0, 1 or all (Kafka's default).") var acks: String = "all"
    @Option(name: .long, help: "Compression: none, gzip, snappy, lz4 or zstd.") var compression: String = "none"
    @Option(name: .customLong("linger-ms"), help: "How long a batch waits for more records.") var lingerMs: Int = 5
    @Option(name: .customLong("batch-size"), help: "Bytes per partition batch.") var batchSize: Int = 64 * 1024
    @Flag(name: .long, inversion: .prefixedNo, help: ArgumentHelp(
        "Idempotent producer (enable.idempotence): retries never duplicate or reorder.",
        discussion: "On by default with --acks all, as in Kafka since 3.0; --acks 0 or 1 turns it off unless asked for (then refused)."))
    var idempotence: Bool?
    @Option(name: .customLong("delivery-timeout-ms"), help: "delivery.timeout.ms: a record not acknowledged this long after it was sent fails.")
    var deliveryTimeoutMs: Int = 120_000
    @Option(name: .customLong("max-block-ms"), help: ArgumentHelp(
        "max.block.ms: how long to wait for the topic to appear (created a moment ago, or auto-created).",
        discussion: "Kafka's producer waits 60000 ms; the command gives up sooner on a topic that does not exist."))
    var maxBlockMs: Int = 10_000

    func validate() throws {
        guard Acks(name: acks) != nil else { throw ValidationError("--acks must be 0, 1 or all") }
        guard CompressionCodec(name: compression) != nil else {
            throw ValidationError("--compression must be none, gzip, snappy, lz4 or zstd")
        }
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator cannot be empty") }
        if let partition, partition < 0 { throw ValidationError("--partition cannot be negative") }
        for h in headers { _ = try parseKeyValue(h, what: "--header") }
        guard lingerMs >= 0, batchSize > 0 else { throw ValidationError("--linger-ms and --batch-size must be positive") }
        guard deliveryTimeoutMs > 0, maxBlockMs >= 0 else {
            throw ValidationError("--delivery-timeout-ms must be positive and --max-block-ms not negative")
        }
        if idempotence == true && Acks(name: acks) != .all {
            throw ValidationError("--idempotence needs --acks all (Kafka refuses enable.idempotence with acks=\(acks) too)")
        }
    }

    func run() async throws {
        let recordHeaders = try headers.map { text -> RecordHeader in
            let (k, v) = try parseKeyValue(text, what: "--header")
            return RecordHeader(key: k, value: ByteBuffer(string: v))
        }
        let fd: Int32
        if let file {
            fd = open(file, O_RDONLY)
            guard fd >= 0 else {
                Console.error("cannot open \(file): \(String(cString: strerror(errno)))")
                throw ExitCode(CommandExitCode.badInput)
            }
        } else {
            fd = STDIN_FILENO
        }
        let configuration = ProducerConfiguration(
            acks: Acks(name: acks)!, compression: CompressionCodec(name: compression)!, linger: .milliseconds(lingerMs),
            batchSize: batchSize, idempotence: idempotence, deliveryTimeout: .milliseconds(deliveryTimeoutMs),
            maxBlock: .milliseconds(maxBlockMs))
        let (topic, separator, partition, json) = (self.topic, keySeparator, self.partition, output.json)
        let summary = try await client.run { client -> ProduceSummary in
            let producer = try await KafkaProducer(client: client, configuration: configuration)
            let counter = ProduceSummary.Counter()
            let interrupted = try await runInterruptible {
                let lines = LineSource(fd: fd)
                var number = 0
                while let line = try lines.next() {
                    try Task.checkCancellation()
                    number += 1
                    var key: ByteBuffer?
                    var value = line
                    if let separator {
                        guard let range = line.range(of: separator) else {
                            throw CommandFailure("line \(number) has no key separator '\(separator)'", exitCode: CommandExitCode.badInput)
                        }
                        key = ByteBuffer(string: String(line[..<range.lowerBound]))
                        value = String(line[range.upperBound...])
                    }
                    try await producer.enqueue(ProducerRecord(topic: topic, partition: partition, key: key,
                                                              value: ByteBuffer(string: value), headers: recordHeaders),
                                               onDelivery: counter.record)
                }
            }
            await producer.close()
            if fd != STDIN_FILENO { close(fd) }
            return counter.summary(interrupted: interrupted)
        }
        if json {
            Console.printJSON(["topic": topic, "sent": summary.sent, "failed": summary.failed,
                               "partitions": summary.partitions.keys.sorted().map { ["partition": Int($0), "records": summary.partitions[$0]!] }])
        } else {
            let parts = summary.partitions.keys.sorted().map { "\($0): \(summary.partitions[$0]!)" }.joined(separator: ", ")
            Console.note("sent \(summary.sent) record(s) to '\(topic)'" + (parts.isEmpty ? "" : " (partition \(parts))"))
        }
        if let error = summary.firstError {
            Console.error("\(summary.failed) record(s) failed; the first: \(error)")
            throw ExitCode(CommandExitCode.code(for: error))
        }
        if summary.interrupted { throw ExitCode(CommandExitCode.interrupted) }
    }
}

/// What happened to the records a command sent.
struct ProduceSummary: Sendable {
    var sent = 0
    var failed = 0
    var partitions: [Int32: Int] = [:]
    var firstError: KafkaClientError?
    var interrupted = false

    final class Counter: Sendable {
        private let state = NIOLockedValueBox(ProduceSummary())

        var record: @Sendable (Result<RecordMetadata, KafkaClientError>) -> Void {
            { result in
                self.state.withLockedValue { s in
                    switch result {
                    case let .success(m):
                        s.sent += 1
                        s.partitions[m.partition, default: 0] += 1
                    case let .failure(e):
                        s.failed += 1
                        if s.firstError == nil { s.firstError = e }
                    }
                }
            }
        }

        func summary(interrupted: Bool) -> ProduceSummary {
            state.withLockedValue { s in
                var copy = s
                copy.interrupted = interrupted
                return copy
            }
        }
    }
}

/// Lines of a file descriptor, read in 64 KiB chunks (a trailing line without newline counts;
/// a `\r` before the newline is dropped).
final class LineSource {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false

    init(fd: Int32) { self.fd = fd }

    func next() throws -> String? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                return line
            }
            if eof {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65_536) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("read failed: \(String(cString: strerror(errno)))", exitCode: CommandExitCode.badInput)
            }
            if n == 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}

import NIOConcurrencyHelpers
