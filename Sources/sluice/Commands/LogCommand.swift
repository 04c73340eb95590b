import ArgumentParser
import KafkaProtocol
import SluiceStorage

/// `sluice log`: tools for a broker's on-disk partition logs.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Inspect partition logs on disk.",
        subcommands: [LogDumpCommand.self, LogCrashWriterCommand.self]
    )
}

/// `sluice log dump`: like kafka-dump-log, prints a partition directory's segments, batches,
/// offsets and CRC validity, and checks the indexes against the log. Reads only; safe on the
/// data directory of a running broker.
struct LogDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the segments and batches of a partition directory (or one .log file)."
    )

    @Argument(help: "A partition directory (<data-dir>/<topic>-<partition>) or a segment .log file.")
    var path: String

    @Flag(name: [.customLong("records"), .customLong("print-data-log")], help: "Print each record too.")
    var records = false

    @Flag(name: .customLong("indexes"), help: "Print every offset and time index entry.")
    var indexes = false

    @Flag(help: "Exit with status 1 when a batch is invalid, a tail is torn or an index is wrong.")
    var strict = false

    func run() throws {
        var problems = 0
        do {
            try LogInspector.inspect(path, records: records, indexEntries: indexes) { event in
                switch event {
                case let .note(text):
                    print(text)
                case let .segment(base, path):
                    print("Dumping \(path)")
                    print("Starting offset: \(base)")
                case let .batch(b):
                    print(Self.describe(b))
                    if !b.isValid { problems += 1 }
                    for r in b.records ?? [] { print(Self.describe(r, b.timestampType)) }
                    if let error = b.recordsError { print("| records not decodable: \(error)") }
                case let .indexEntry(offset, position):
                    print("index offset: \(offset) position: \(position)")
                case let .timeIndexEntry(timestamp, offset):
                    print("timeindex timestamp: \(timestamp) offset: \(offset)")
                case let .segmentEnd(s):
                    var line = "Segment \(s.baseOffset): \(s.batchCount) batches, \(s.fileSize) bytes"
                    if let n = s.indexEntries { line += ", \(n) index entries" } else { line += ", no index file" }
                    if let n = s.timeIndexEntries { line += ", \(n) time index entries" }
                    print(line)
                    if s.trailingBytes > 0 {
                        print("  \(s.trailingBytes) bytes after the last batch: \(s.endReason ?? "unknown")")
                        problems += 1
                    }
                    for p in s.indexProblems {
                        print("  \(p)")
                        problems += 1
                    }
                }
            }
        } catch {
            throw ValidationError("cannot read \(path): \(error)")
        }
        if strict && problems > 0 { throw ExitCode(1) }
    }

    static func describe(_ b: LogInspector.Batch) -> String {
        var s = "baseOffset: \(b.baseOffset) lastOffset: \(b.lastOffset) count: \(b.recordCount)"
        s += " baseSequence: \(b.baseSequence) lastSequence: \(b.lastSequence) producerId: \(b.producerId)"
        s += " producerEpoch: \(b.producerEpoch) partitionLeaderEpoch: \(b.partitionLeaderEpoch)"
        s += " isTransactional: \(b.isTransactional) isControl: \(b.isControl) position: \(b.position)"
        s += " \(b.timestampType == .logAppendTime ? "LogAppendTime" : "CreateTime"): \(b.maxTimestamp)"
        s += " size: \(b.size) magic: \(b.magic) compresscodec: \(b.compression) crc: \(b.crc) isvalid: \(b.isValid)"
        if let problem = b.problem { s += " (\(problem))" }
        return s
    }

    static func describe(_ r: Record, _ type: TimestampType) -> String {
        let key = r.key.map { String(buffer: $0) }
        let value = r.value.map { String(buffer: $0) }
        var s = "| offset: \(r.offset) \(type == .logAppendTime ? "LogAppendTime" : "CreateTime"): \(r.timestamp)"
        s += " keySize: \(r.key?.readableBytes ?? -1) valueSize: \(r.value?.readableBytes ?? -1)"
        s += " headerKeys: [\(r.headers.map(\.key).joined(separator: ","))]"
        if let key { s += " key: \(key)" }
        s += " payload: \(value ?? "null")"
        return s
    }
}
