import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceClient

/// The traffic of `sluice verify`: an idempotent `acks=all` producer writing sequence-numbered
/// records to every partition at a steady rate, and a consumer reading them back from the
/// beginning, both recording into the ``VerifyLedger``.
struct VerifyWorkload: Sendable {
    let client: KafkaClient
    let topic: String
    let partitions: Int
    let ledger: VerifyLedger

    /// The producer settings: idempotent, `acks=all`, retrying until the delivery timeout, so
    /// that a failover is waited out and sequence numbers never skip.
    static let producerConfiguration = ProducerConfiguration(
        acks: .all, linger: .milliseconds(2), maxInFlightRequestsPerConnection: 5, idempotence: true,
        retries: 1_000_000, retryBackoff: .milliseconds(100), deliveryTimeout: .seconds(120))

    /// Produces `rate` records per second (round robin over the partitions) until `isDone`.
    func produce(with producer: KafkaProducer, rate: Int, isDone: @Sendable () -> Bool) async throws -> Int {
        var next = [Int64](repeating: 0, count: partitions)
        let tick = 0.01
        let perTick = max(1.0, Double(rate) * tick)
        var carry = 0.0
        var sent = 0
        let started = VerifyChaos.monotonic()
        var ticks = 0.0
        let ledger = self.ledger
        while !isDone() {
            carry += perTick
            while carry >= 1 {
                carry -= 1
                let p = sent % partitions
                let seq = next[p]
                next[p] += 1
                sent += 1
                let record = ProducerRecord(topic: topic, partition: Int32(p), key: nil, value: ByteBuffer(string: "\(seq)"))
                // Enqueueing fails while no broker can tell the partition count (all restarting):
                // the record was not taken, so it is offered again until the run ends.
                while true {
                    do {
                        try await producer.enqueue(record) { result in
                            switch result {
                            case let .success(metadata):
                                ledger.update(p) { $0.acknowledged(seq: seq, offset: metadata.offset, at: ledger.now) }
                            case let .failure(error):
                                ledger.update(p) { $0.failed(at: ledger.now, error: "\(error)") }
                            }
                        }
                        ledger.update(p) { $0.produced(at: ledger.now) }
                        break
                    } catch let error as KafkaClientError where error.isRetriable {
                        if isDone() { return sent }
                        try await Task.sleep(nanoseconds: 100_000_000)
                    }
                }
            }
            ticks += 1
            let wake = started + ticks * tick
            let sleep = wake - VerifyChaos.monotonic()
            if sleep > 0 { try await Task.sleep(nanoseconds: UInt64(sleep * 1_000_000_000)) }
        }
        return sent
    }

    /// Reads every partition from the beginning until cancelled.
    func consume(with consumer: KafkaConsumer) async {
        let tps = (0..<partitions).map { TopicPartition(topic, Int32($0)) }
        while !Task.isCancelled {
            do {
                if consumer.assignment.isEmpty {
                    try await consumer.assign(Dictionary(uniqueKeysWithValues: tps.map { ($0, StartPosition.earliest) }))
                }
                for record in try await consumer.poll(maxRecords: 10_000, timeout: .milliseconds(200)) {
                    guard let value = record.value, let seq = Int64(String(buffer: value)) else { continue }
                    ledger.update(Int(record.partition)) { $0.consumed(seq: seq, offset: record.offset) }
                }
            } catch is CancellationError {
                return
            } catch {
                // The cluster is failing over: try again shortly.
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
    }

    /// Waits until the consumer has read every partition up to its last acknowledged record
    /// (the high watermark reaches it once the cluster has healed), or `timeout` passes.
    func caughtUp(_ consumer: KafkaConsumer, timeout: Double) async -> Bool {
        let deadline = VerifyChaos.monotonic() + timeout
        while VerifyChaos.monotonic() < deadline {
            let ledgers = ledger.snapshot
            let done = (0..<partitions).allSatisfy { p in
                (consumer.position(TopicPartition(topic, Int32(p))) ?? 0) >= ledgers[p].acknowledgedEnd
            }
            if done { return true }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return false
    }
}
