import ArgumentParser
import Foundation
import NIOCore
import SluiceBase
import SluiceClient

/// `sluice bench e2e`: end-to-end latency, from `send` to the record reaching a consumer.
struct BenchE2ECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Measure end-to-end latency: each record is sent and awaited, and timed until a consumer reads it.",
        discussion: "Like Kafka's EndToEndLatency tool: --concurrency senders each keep one record in flight "
            + "(default 1), linger.ms 0. The send time travels in the record's first 8 bytes. The topic is created "
            + "when missing; the measurement starts once every partition's leader serves it and one warm-up record per "
            + "partition has been read back. "
            + "--background-mb-per-sec adds load from a second producer meanwhile.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var bench: BenchOptions
    @OptionGroup var producer: BenchProducerOptions
    @OptionGroup var background: BackgroundLoadOptions

    func run() async throws {
        let (bench, producerOptions, backgroundOptions, json) = (self.bench, self.producer, self.background, output.json)
        let limit = bench.records ?? (bench.duration == nil ? 10_000 : Int.max)
        let producerConfiguration = producerOptions.configuration(defaultLingerMs: 0)
        let result = try await client.run { client -> BenchResult in
            let partitions = try await ensureBenchTopic(client, bench.newTopic)
            let tps = (0..<Int32(partitions)).map { TopicPartition(bench.topic, $0) }
            var load: BackgroundLoad?
            if backgroundOptions.megabytesPerSecond != nil {
                var spec = bench.newTopic
                spec.name = backgroundOptions.topic ?? bench.topic + "-background"
                _ = try await ensureBenchTopic(client, spec)
                var loadConfiguration = producerConfiguration
                loadConfiguration.linger = .milliseconds(5)
                load = BackgroundLoad(options: backgroundOptions, topic: spec.name, configuration: client.configuration,
                                      producer: loadConfiguration)
            }
            let consumer = KafkaConsumer(client: client, configuration: ConsumerConfiguration(
                enableAutoCommit: false, fetchMaxWait: .milliseconds(100)))
            try await consumer.assign(Dictionary(uniqueKeysWithValues: tps.map { ($0, StartPosition.latest) }))
            let producer = try await KafkaProducer(client: client, configuration: producerConfiguration)
            try await warmUp(producer, consumer, tps, timeout: client.configuration.requestTimeout)
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
            let backgroundSummary = try await load?.stop()
            await producer.close()
            await consumer.close()
            await progress.stop()
            var settings = [
                "topic": String(describing: bench.topic),
                "recordSize": String(describing: size),
                "acks": String(describing: producerOptions.acks),
                "senders": String(describing: bench.concurrency),
                "lingerMs": String(describing: producerOptions.lingerMs ?? 0),
                "idempotence": String(describing: producerConfiguration.idempotence),
            ]
            if let mb = backgroundOptions.megabytesPerSecond { settings["backgroundMBPerSec"] = String(describing: mb) }
            var result = recorder.result(kind: "bench e2e", latencyLabel: "send to consumer receipt, every record", settings: settings)
            result.background = backgroundSummary
            if interrupted { result.kind += " (interrupted)" }
            return result
        }
        result.print(json: json)
    }

    /// Sends one record to each partition and reads them back, unmeasured: on a topic created a
    /// moment ago, the first records otherwise also time the followers' start (the consumer sees a
    /// record once the high watermark passes it) and the first fetch connections.
    private func warmUp(_ producer: KafkaProducer, _ consumer: KafkaConsumer, _ tps: [TopicPartition], timeout: Duration) async throws {
        for tp in tps {
            _ = try await producer.send(ProducerRecord(topic: tp.topic, partition: tp.partition, value: benchPayload(size: 8)))
        }
        var seen = Set<TopicPartition>()
        let deadline = ContinuousClock.now + timeout
        while seen.count < tps.count {
            guard ContinuousClock.now < deadline else {
                throw KafkaClientError(.timeout, "the warm-up records were not read back within \(timeout)", resource: "topic '\(tps[0].topic)'")
            }
            for r in try await consumer.poll(maxRecords: 1000, timeout: .milliseconds(200)) { seen.insert(r.topicPartition) }
        }
    }
}
