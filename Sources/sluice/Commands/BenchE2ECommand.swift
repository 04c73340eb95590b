import ArgumentParser
import Foundation
import NIOCore
import SluiceClient

/// `sluice bench e2e`: end-to-end latency, from `send` to the record reaching a consumer.
struct BenchE2ECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Measure end-to-end latency: each record is sent and awaited, and timed until a consumer reads it.",
        discussion: "Like Kafka's EndToEndLatency tool: --concurrency senders each keep one record in flight "
            + "(default 1). The send time travels in the record's first 8 bytes.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var bench: BenchOptions
    @OptionGroup var producer: BenchProducerOptions

    func run() async throws {
        let (bench, producerOptions, json) = (self.bench, self.producer, output.json)
        let limit = bench.records ?? (bench.duration == nil ? 10_000 : Int.max)
        let result = try await client.run { client -> BenchResult in
            _ = try await ensureBenchTopic(client, topic: bench.topic, partitions: bench.partitions)
            let admin = KafkaAdmin(client: client)
            let info = try await admin.describeTopics([bench.topic]).first!
            let tps = info.partitions.map { TopicPartition(bench.topic, $0.partition) }
            let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
                enableAutoCommit: false, fetchMaxWait: .milliseconds(100)))
            try await consumer.assign(Dictionary(uniqueKeysWithValues: tps.map { ($0, StartPosition.latest) }))
            let producer = try await KafkaProducer(client: client, configuration: producerOptions.configuration)
            let recorder = BenchRecorder()
            let progress = BenchProgress(recorder, label: "e2e")
            let deadline = bench.deadline
            let size = bench.recordSize
            let reader = Task {
                while recorder.counts.records < limit && !Task.isCancelled {
                    let records = try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200))
                    let now = BenchClock.now()
                    for r in records {
                        guard let sent = r.value?.getInteger(at: r.value!.readerIndex, as: UInt64.self) else { continue }
                        recorder.record(latencyNanos: now &- sent, bytes: size)
                    }
                }
            }
            let interrupted = try await runInterruptible {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let senders = bench.concurrency
                    for w in 0..<senders {
                        let share = limit == Int.max ? Int.max : limit / senders + (w < limit % senders ? 1 : 0)
                        group.addTask {
                            var payload = benchPayload(size: size)
                            for _ in 0..<share {
                                if let deadline, BenchClock.now() >= deadline { break }
                                try Task.checkCancellation()
                                payload.setInteger(BenchClock.now(), at: payload.readerIndex)
                                _ = try await producer.send(ProducerRecord(topic: bench.topic, value: payload))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // Wait (up to 10 s) for the consumer to see everything that was sent.
                let end = BenchClock.now() + 10_000_000_000
                while recorder.counts.records < limit && BenchClock.now() < end && bench.duration == nil {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            reader.cancel()
            _ = await reader.result
            await producer.close()
            await consumer.close()
            await progress.stop()
            var result = recorder.result(kind: "bench e2e", latencyLabel: "send to consumer receipt, every record", settings: [
                "topic": String(describing: bench.topic),
                "recordSize": String(describing: size),
                "acks": String(describing: producerOptions.acks),
                "senders": String(describing: bench.concurrency),
                "lingerMs": String(describing: producerOptions.lingerMs),
            ])
            if interrupted { result.kind += " (interrupted)" }
            return result
        }
        result.print(json: json)
    }
}
