import ArgumentParser
import Foundation
import NIOCore
import SluiceBase
import SluiceClient

/// `sluice bench consume`: read a topic from the beginning as fast as possible.
struct BenchConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Read a topic from its start as fast as possible; report throughput and poll latency.",
        discussion: "Stops after --records (or --duration), or at the end of the topic as it was when the run started. "
            + "With --concurrency N, N consumers share the partitions.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var bench: BenchOptions
    @Option(name: .customLong("fetch-max-bytes"), help: "max.partition.fetch.bytes") var partitionFetchBytes: Int32 = 1 << 20

    func run() async throws {
        let (bench, json, partitionFetchBytes) = (self.bench, output.json, self.partitionFetchBytes)
        let result = try await client.run { client -> BenchResult in
            let admin = KafkaAdmin(client: client)
            guard let info = try await admin.describeTopics([bench.topic]).first else { throw CommandFailure("no topic") }
            let tps = info.partitions.map { TopicPartition(bench.topic, $0.partition) }
            let ends = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.latest) }))
            let starts = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: tps.map { ($0, OffsetQuery.earliest) }))
            let available = tps.reduce(0) { $0 + Int((ends[$1] ?? 0) - (starts[$1] ?? 0)) }
            let target = min(bench.recordLimit, bench.duration == nil ? available : Int.max)
            let recorder = BenchRecorder()
            let progress = BenchProgress(recorder, label: "consume")
            let deadline = bench.deadline
            let workers = min(bench.concurrency, tps.count)
            let configuration = ConsumerConfiguration(enableAutoCommit: false, maxPartitionFetchBytes: partitionFetchBytes)
            let interrupted = try await runInterruptible {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for w in 0..<workers {
                        let mine = tps.enumerated().filter { $0.offset % workers == w }.map(\.element)
                        group.addTask {
                            let consumer = KafkaConsumer(client: client, configuration: configuration)
                            try await consumer.assign(Dictionary(uniqueKeysWithValues: mine.map { ($0, StartPosition.earliest) }))
                            defer { Task { await consumer.close() } }
                            while recorder.counts.records < target {
                                if let deadline, BenchClock.now() >= deadline { break }
                                if bench.duration == nil && mine.allSatisfy({ (consumer.position($0) ?? 0) >= (ends[$0] ?? 0) }) { break }
                                let start = BenchClock.now()
                                let records = try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(500))
                                guard !records.isEmpty else { continue }
                                let elapsed = BenchClock.now() - start
                                let sizes = records.map { ($0.value?.readableBytes ?? 0) + ($0.key?.readableBytes ?? 0) }
                                recorder.claim(sizes, limit: target, latencyNanos: elapsed)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            await progress.stop()
            var result = recorder.result(kind: "bench consume", latencyLabel: "time per poll() that returned records",
                                         settings: [
                "topic": String(describing: bench.topic),
                "partitions": String(describing: tps.count),
                "consumers": String(describing: workers),
            ])
            if interrupted { result.kind += " (interrupted)" }
            return result
        }
        result.print(json: json)
    }
}
