import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SluiceClient

/// Holds a producing loop to a rate, as kafka-producer-perf-test's ThroughputThrottler does: the
/// record numbered `n` is not sent before `start + n / rate`; the loop sleeps once it is ahead by
/// a millisecond or more, so fast rates still send in bursts the producer can batch.
struct RateLimiter {
    private let nanosPerRecord: Double
    private let start: UInt64
    private var sent = 0

    /// `perSecond` records a second; nil or ≤ 0: no limit.
    init?(perSecond: Double?) {
        guard let perSecond, perSecond > 0 else { return nil }
        nanosPerRecord = 1e9 / perSecond
        start = BenchClock.now()
    }

    /// Waits until the next record is due.
    mutating func next() async throws {
        let due = start + UInt64(Double(sent) * nanosPerRecord)
        sent += 1
        let now = BenchClock.now()
        if due > now + 1_000_000 { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
    }
}

/// `bench e2e --background-mb-per-sec`: a second producer, on its own connections, writing to its
/// own topic at a fixed rate while the latency is measured, so that latency under load can be
/// measured (Kafka's EndToEndLatency beside a kafka-producer-perf-test --throughput).
struct BackgroundLoadOptions: ParsableArguments {
    @Option(name: .customLong("background-mb-per-sec"), help: ArgumentHelp(
        "Background load: another producer writes this many MB/s (MB = 2^20 bytes) to --background-topic meanwhile.",
        discussion: "Default: none. It uses the measured producer's --acks and --compression, linger.ms 5 and its own connections."))
    var megabytesPerSecond: Double?
    @Option(name: .customLong("background-record-size"), help: "Bytes per background record.") var recordSize: Int = 1024
    @Option(name: .customLong("background-topic"), help: "The background load's topic (default: <topic>-background; created like --topic).")
    var topic: String?

    func validate() throws {
        if let megabytesPerSecond, megabytesPerSecond <= 0 { throw ValidationError("--background-mb-per-sec must be positive") }
        guard recordSize >= 1 else { throw ValidationError("--background-record-size must be at least 1") }
    }
}

/// The background producer of `bench e2e`.
final class BackgroundLoad: Sendable {
    /// What it wrote.
    struct Summary: Sendable {
        var topic: String
        var targetMegabytesPerSecond: Double
        var records: Int
        var bytes: Int
        var errors: Int
        var seconds: Double
        var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0 }
    }

    private let recorder: BenchRecorder
    private let task: Task<Void, Error>
    private let client: KafkaClient
    private let topic: String
    private let target: Double

    /// Starts writing `options.megabytesPerSecond` to `topic` with a client of its own.
    init(options: BackgroundLoadOptions, topic: String, configuration: ClientConfiguration,
         producer producerConfiguration: ProducerConfiguration) {
        let client = KafkaClient(configuration: configuration)
        let recorder = BenchRecorder()
        self.recorder = recorder
        let size = options.recordSize
        let target = options.megabytesPerSecond ?? 0
        self.client = client
        self.topic = topic
        self.target = target
        task = Task {
            let producer = try await KafkaProducer(client: client, configuration: producerConfiguration)
            let payload = benchPayload(size: size)
            var limiter = RateLimiter(perSecond: target * 1_048_576 / Double(size))
            do {
                while !Task.isCancelled {
                    try await limiter?.next()
                    try await producer.enqueue(ProducerRecord(topic: topic, value: payload)) { result in
                        switch result {
                        case .success: recorder.record(latencyNanos: nil, bytes: size)
                        case let .failure(e): recorder.fail(e)
                        }
                    }
                }
            } catch is CancellationError {}
            await producer.close()
        }
    }

    /// Stops the load (what is buffered is still sent) and says what it wrote.
    func stop() async throws -> Summary {
        task.cancel()
        let outcome = await task.result
        await client.close()
        let counts = recorder.counts
        if case let .failure(error) = outcome, !(error is CancellationError) { throw error }
        return Summary(topic: topic, targetMegabytesPerSecond: target, records: counts.records, bytes: counts.bytes,
                       errors: counts.errors, seconds: Double(BenchClock.now() - recorder.started) / 1e9)
    }
}
