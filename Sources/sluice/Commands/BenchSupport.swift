import ArgumentParser
import Foundation
import Histogram
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import SluiceClient

/// Options the bench commands share.
struct BenchOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The topic (created with --partitions when missing).") var topic: String = "sluice-bench"
    @Option(name: [.short, .long], help: "How many records (default 1,000,000 unless --duration).") var records: Int?
    @Option(name: [.short, .long], help: "Run for this many seconds instead of a record count.") var duration: Double?
    @Option(name: [.customShort("s"), .customLong("record-size")], help: "Bytes per record value.") var recordSize: Int = 100
    @Option(name: [.short, .long], help: "Partitions for the topic when it has to be created.") var partitions: Int32 = 1
    @Option(name: .customLong("replication-factor"), help: "Replicas per partition when the topic has to be created (default: the broker's default.replication.factor).")
    var replicationFactor: Int16?
    @Option(name: [.short, .long], help: "Tasks producing (or consumers reading) at once.") var concurrency: Int = 1

    func validate() throws {
        if records != nil && duration != nil { throw ValidationError("give --records or --duration, not both") }
        if let records, records < 1 { throw ValidationError("--records must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard recordSize >= 8 else { throw ValidationError("--record-size must be at least 8") }
        guard partitions >= 1, concurrency >= 1 else { throw ValidationError("--partitions and --concurrency must be at least 1") }
        if let replicationFactor, replicationFactor < 1 { throw ValidationError("--replication-factor must be at least 1") }
    }

    /// The topic as `ensureBenchTopic` creates it when missing.
    var newTopic: NewTopic { NewTopic(name: topic, partitions: partitions, replicationFactor: replicationFactor ?? -1) }

    var recordLimit: Int { records ?? (duration == nil ? 1_000_000 : Int.max) }
    var deadline: UInt64? { duration.map { BenchClock.now() + UInt64($0 * 1e9) } }
}

/// Producer settings of the bench commands.
struct BenchProducerOptions: ParsableArguments {
    @Option(name: .long, help: "0, 1 or all.") var acks: String = "1"
    @Option(name: .long, help: "none, gzip, snappy, lz4 or zstd.") var compression: String = "none"
    @Option(name: .customLong("linger-ms"), help: "linger.ms (default: 5 for `bench produce`, 0 for `bench e2e`).") var lingerMs: Int?
    @Option(name: .customLong("batch-size"), help: "batch.size in bytes.") var batchSize: Int = 64 * 1024
    @Flag(name: .long, inversion: .prefixedNo,
          help: "Idempotent producer (needs --acks all; default: on with --acks all, as Kafka's enable.idempotence).")
    var idempotence: Bool?

    func validate() throws {
        guard Acks(name: acks) != nil else { throw ValidationError("--acks must be 0, 1 or all") }
        guard CompressionCodec(name: compression) != nil else { throw ValidationError("unknown --compression '\(compression)'") }
        if let lingerMs, lingerMs < 0 { throw ValidationError("--linger-ms cannot be negative") }
        if idempotence == true && Acks(name: acks) != .all { throw ValidationError("--idempotence needs --acks all") }
    }

    /// The producer's configuration, `linger.ms` defaulting to `defaultLingerMs`.
    func configuration(defaultLingerMs: Int) -> ProducerConfiguration {
        ProducerConfiguration(acks: Acks(name: acks)!, compression: CompressionCodec(name: compression)!,
                              linger: .milliseconds(lingerMs ?? defaultLingerMs), batchSize: batchSize, idempotence: idempotence)
    }
}

enum BenchClock {
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Counts records and bytes and keeps a latency histogram (microseconds); shared by tasks.
final class BenchRecorder: Sendable {
    private struct State: Sendable {
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var records = 0
        var bytes = 0
        var errors = 0
        var firstError: KafkaClientError?
    }

    private let state = NIOLockedValueBox(State())
    let started = BenchClock.now()

    func record(latencyNanos: UInt64?, bytes: Int, count: Int = 1) {
        state.withLockedValue { s in
            if let latencyNanos { _ = s.histogram.record(max(1, latencyNanos / 1000)) }
            s.records += count
            s.bytes += bytes
        }
    }

    /// Counts the records of `sizes` (their bytes) without passing `limit` records in all.
    func claim(_ sizes: [Int], limit: Int, latencyNanos: UInt64) {
        state.withLockedValue { s in
            let n = min(sizes.count, max(0, limit - s.records))
            guard n > 0 else { return }
            _ = s.histogram.record(max(1, latencyNanos / 1000))
            s.records += n
            s.bytes += sizes.prefix(n).reduce(0, +)
        }
    }

    func fail(_ error: KafkaClientError) {
        state.withLockedValue { s in
            s.errors += 1
            if s.firstError == nil { s.firstError = error }
        }
    }

    var counts: (records: Int, bytes: Int, errors: Int) { state.withLockedValue { ($0.records, $0.bytes, $0.errors) } }
    var firstError: KafkaClientError? { state.withLockedValue { $0.firstError } }

    func result(kind: String, latencyLabel: String, settings: [String: String]) -> BenchResult {
        let elapsed = Double(BenchClock.now() - started) / 1e9
        return state.withLockedValue { s in
            let h = s.histogram
            let ms = { (p: Double) in h.totalCount == 0 ? 0 : Double(h.valueAtPercentile(p)) / 1000 }
            return BenchResult(kind: kind, records: s.records, bytes: s.bytes, errors: s.errors, seconds: elapsed,
                               latencyLabel: latencyLabel, latencyCount: Int(h.totalCount),
                               p50: ms(50), p95: ms(95), p99: ms(99), p999: ms(99.9),
                               max: h.totalCount == 0 ? 0 : Double(h.max) / 1000, settings: settings)
        }
    }
}

/// A live progress line on standard error, once a second.
final class BenchProgress: Sendable {
    private let task: Task<Void, Never>

    init(_ recorder: BenchRecorder, label: String) {
        let tty = isatty(STDERR_FILENO) != 0
        task = Task {
            var last = (records: 0, time: BenchClock.now())
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                let now = BenchClock.now()
                let c = recorder.counts
                let rate = Double(c.records - last.records) / (Double(now - last.time) / 1e9)
                last = (c.records, now)
                let average = Double(c.bytes) / 1_048_576 / (Double(now - recorder.started) / 1e9)
                let line = "\(label): \(c.records) records, \(String(format: "%.0f", rate)) records/s now, "
                    + "\(String(format: "%.1f", average)) MB/s average" + (c.errors > 0 ? ", \(c.errors) errors" : "")
                FileHandle.standardError.write(Data((tty ? "\r\u{1B}[K" + line : line + "\n").utf8))
            }
            if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

/// What a bench run measured.
struct BenchResult: Sendable {
    var kind: String
    var records: Int
    var bytes: Int
    var errors: Int
    var seconds: Double
    var latencyLabel: String
    var latencyCount: Int
    var p50, p95, p99, p999, max: Double
    var settings: [String: String]
    /// `bench e2e --background-mb-per-sec`: what the background producer wrote meanwhile.
    var background: BackgroundLoad.Summary?

    var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
    /// MB/s with MB = 2^20 bytes, as Kafka's perf tools count.
    var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0 }

    func print(json: Bool) {
        if json {
            var object: [String: Any] = [
                "kind": kind, "records": records, "bytes": bytes, "errors": errors, "seconds": seconds,
                "recordsPerSecond": recordsPerSecond, "mbPerSecond": megabytesPerSecond,
                "latencyMs": ["measures": latencyLabel, "count": latencyCount, "p50": p50, "p95": p95, "p99": p99,
                              "p99.9": p999, "max": max] as [String: Any],
            ]
            // Numbers and booleans as JSON numbers and booleans.
            object["settings"] = settings.mapValues { v -> Any in
                Int(v).map { $0 as Any } ?? Double(v).map { $0 as Any } ?? Bool(v).map { $0 as Any } ?? v
            }
            if let background {
                object["background"] = ["topic": background.topic, "records": background.records, "bytes": background.bytes,
                                        "errors": background.errors, "seconds": background.seconds,
                                        "mbPerSecond": background.megabytesPerSecond,
                                        "targetMBPerSecond": background.targetMegabytesPerSecond] as [String: Any]
            }
            Console.printJSON(object)
            return
        }
        var table = TablePrinter(["RECORDS", "SECONDS", "RECORDS/S", "MB/S", "P50 MS", "P95 MS", "P99 MS", "P99.9 MS", "MAX MS"],
                                 alignments: Array(repeating: .right, count: 9))
        table.add([String(records), String(format: "%.2f", seconds), String(format: "%.0f", recordsPerSecond),
                   String(format: "%.2f", megabytesPerSecond), String(format: "%.2f", p50), String(format: "%.2f", p95),
                   String(format: "%.2f", p99), String(format: "%.2f", p999), String(format: "%.2f", max)])
        let settingsText = settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }.joined(separator: " ")
        let load = background.map {
            "\nbackground load: \($0.records) records, " + String(format: "%.2f", $0.megabytesPerSecond)
                + " MB/s to '\($0.topic)' (target " + String(format: "%.2f", $0.targetMegabytesPerSecond) + " MB/s)"
                + ($0.errors > 0 ? ", \($0.errors) errors" : "")
        } ?? ""
        Console.print("\(kind): \(settingsText)\n\(table.render())\nlatency: \(latencyLabel)\(load)"
            + (errors > 0 ? "\nerrors: \(errors)" : ""))
    }
}

/// Makes sure the bench topic exists (creating it as `spec` says when missing) and that every
/// partition's leader serves it, and returns its partition count.
///
/// A topic created a moment ago is not served at once: the other brokers learn of it from the
/// metadata log, and each leader opens its partitions when it does. Measuring before then would
/// fail the first run on a fresh cluster, or put the wait into the first latencies. Waits up to the
/// client's request timeout (`--timeout`).
func ensureBenchTopic(_ client: KafkaClient, _ spec: NewTopic) async throws -> Int {
    do {
        try await KafkaAdmin(client: client).createTopic(spec)
    } catch let error as KafkaClientError where error.errorCode == .topicAlreadyExists {}
    let clock = ContinuousClock()
    let deadline = clock.now + client.configuration.requestTimeout
    var attempt = 1
    while true {
        do {
            let info = try await client.waitForTopic(spec.name, allowAutoTopicCreation: false, timeout: deadline - clock.now)
            guard let leaderless = info.partitions.first(where: { $0.leader < 0 }) else {
                // Each leader answers ListOffsets for its partitions once it serves them.
                let tps = info.partitions.map { TopicPartition(spec.name, $0.partition) }
                _ = try await client.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.latest) }))
                return info.partitions.count
            }
            throw KafkaClientError.broker(.leaderNotAvailable, resource: "partition \(spec.name)-\(leaderless.partition)")
        } catch let error as KafkaClientError where error.isRetriable && clock.now < deadline {
            client.invalidateMetadata()
            try await Task.sleep(for: client.configuration.retry.backoff(afterAttempt: attempt))
            attempt += 1
        }
    }
}

/// A value of `size` random bytes (the same for every record, as Kafka's perf tool does).
func benchPayload(size: Int) -> ByteBuffer {
    var g = SystemRandomNumberGenerator()
    var buffer = ByteBufferAllocator().buffer(capacity: size)
    for _ in 0..<size { buffer.writeInteger(UInt8(ascii: "A") + UInt8(g.next() % 26)) }
    return buffer
}
