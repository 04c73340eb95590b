import ArgumentParser
import Foundation
import NIOCore
import SluiceClient

/// `sluice bench produce`: as fast as the producer goes; latency is enqueue-to-acknowledgement.
struct BenchProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce records as fast as possible (or at --throughput); report throughput and enqueue-to-ack latency.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var bench: BenchOptions
    @OptionGroup var producer: BenchProducerOptions
    @Option(name: .long, help: ArgumentHelp(
        "At most this many records a second, all --concurrency tasks together (-1: as fast as possible).",
        discussion: "As kafka-producer-perf-test's --throughput: to measure latency at a given load."))
    var throughput: Double = -1

    func validate() throws {
        guard throughput == -1 || throughput > 0 else { throw ValidationError("--throughput must be positive, or -1 for no limit") }
    }

    func run() async throws {
        let (bench, producerOptions, json) = (self.bench, self.producer, output.json)
        let throughput = self.throughput
        let producerConfiguration = producerOptions.configuration(defaultLingerMs: 5)
        let result = try await client.run { client -> BenchResult in
            _ = try await ensureBenchTopic(client, bench.newTopic)
            let producer = try await KafkaProducer(client: client, configuration: producerConfiguration)
            let recorder = BenchRecorder()
            let progress = BenchProgress(recorder, label: "produce")
            let payload = benchPayload(size: bench.recordSize)
            let limit = bench.recordLimit
            let deadline = bench.deadline
            let size = bench.recordSize
            let interrupted = try await runInterruptible {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<bench.concurrency {
                        let share = limit == Int.max ? Int.max : limit / bench.concurrency + (worker < limit % bench.concurrency ? 1 : 0)
                        group.addTask {
                            // Each task takes its share of the rate.
                            var limiter = RateLimiter(perSecond: throughput > 0 ? throughput / Double(bench.concurrency) : nil)
                            var i = 0
                            while i < share {
                                try await limiter?.next()
                                if i & 1023 == 0 {
                                    try Task.checkCancellation()
                                    if let deadline, BenchClock.now() >= deadline { break }
                                }
                                let start = BenchClock.now()
                                try await producer.enqueue(ProducerRecord(topic: bench.topic, value: payload)) { result in
                                    switch result {
                                    case .success: recorder.record(latencyNanos: BenchClock.now() - start, bytes: size)
                                    case let .failure(e): recorder.fail(e)
                                    }
                                }
                                i += 1
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                try await producer.flush()
            }
            await producer.close()
            await progress.stop()
            if let error = recorder.firstError, recorder.counts.records == 0 { throw error }
            var result = recorder.result(kind: "bench produce", latencyLabel: "enqueue to acknowledgement, every record", settings: [
                "topic": String(describing: bench.topic),
                "recordSize": String(describing: bench.recordSize),
                "acks": String(describing: producerOptions.acks),
                "compression": String(describing: producerOptions.compression),
                "lingerMs": String(describing: producerOptions.lingerMs ?? 5),
                "batchSize": String(describing: producerOptions.batchSize),
                "concurrency": String(describing: bench.concurrency),
                "idempotence": String(describing: producerConfiguration.idempotence),
            ].merging(throughput > 0 ? ["throughput": String(describing: throughput)] : [:]) { a, _ in a })
            if interrupted { result.kind += " (interrupted)" }
            return result
        }
        result.print(json: json)
        if result.errors > 0 { throw ExitCode(CommandExitCode.clusterError) }
    }
}
