import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase

/// The producer's background task: drains ready batches from the ``RecordAccumulator``, sends one
/// Produce request per leader (up to `max.in.flight.requests.per.connection` per broker at once),
/// and settles each batch from the answer: done, back in the queue for a retry, or failed.
final class Sender: Sendable {
    private let client: KafkaClient
    private let accumulator: RecordAccumulator
    private let configuration: ProducerConfiguration
    private let refreshing = NIOLockedValueBox(false)

    init(client: KafkaClient, accumulator: RecordAccumulator, configuration: ProducerConfiguration) {
        self.client = client
        self.accumulator = accumulator
        self.configuration = configuration
    }

    /// Runs until the accumulator is closing and every batch is settled.
    func run() async {
        let eventLoop = client.group.next()
        while true {
            let now = monotonicNanos()
            let metadata = client.cachedMetadata
            let plan = accumulator.drain(now: now) { tp in
                guard let p = metadata.topics[tp.topic]?.partition(tp.partition), p.leader >= 0,
                      metadata.brokers[p.leader] != nil else { return nil }
                return p.leader
            }
            for batch in plan.expired {
                accumulator.finish(batch, inFlight: false, .failure(expiry(batch)))
            }
            if !plan.leaderUnknown.isEmpty { refreshMetadata(plan.leaderUnknown) }
            // Requests are written here, one after another, so that a partition's batches reach
            // the broker in order; their answers are awaited in tasks of their own.
            for (node, batches) in plan.requests {
                await send(batches, to: node)
            }
            if plan.idle && accumulator.isClosing { return }
            if plan.requests.isEmpty && plan.expired.isEmpty {
                var deadline = plan.nextDeadline
                if !plan.leaderUnknown.isEmpty {
                    let retry = now + UInt64(configuration.retryBackoff.nanoseconds)
                    deadline = min(deadline ?? retry, retry)
                }
                await accumulator.waitForWork(deadline: deadline, eventLoop: eventLoop)
            }
        }
    }

    private func refreshMetadata(_ topics: Set<String>) {
        let start = refreshing.withLockedValue { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard start else { return }
        Task {
            _ = try? await client.metadata(topics: Array(topics), refresh: true)
            refreshing.withLockedValue { $0 = false }
            accumulator.wakeSender()
        }
    }

    private func send(_ drained: [RecordAccumulator.Drained], to node: Int32) async {
        var handedOff = false
        defer { if !handedOff { accumulator.requestDone(node: node) } }
        var batches: [ProducerBatch] = []
        for var item in drained {
            do {
                try accumulator.seal(&item)
                batches.append(item.batch)
            } catch {
                accumulator.finish(item.batch, .failure(KafkaClientError(
                    .invalidArgument, "could not compress the batch: \(error)", resource: "partition \(item.batch.topicPartition)")))
            }
        }
        guard !batches.isEmpty else { return }
        var byTopic: [String: [ProduceRequest.PartitionProduceData]] = [:]
        for batch in batches {
            byTopic[batch.topicPartition.topic, default: []].append(
                ProduceRequest.PartitionProduceData(index: batch.topicPartition.partition, records: .bytes(batch.sealed!)))
        }
        let timeout = client.configuration.requestTimeout
        let request = ProduceRequest(
            transactionalId: nil, acks: configuration.acks.rawValue,
            timeoutMs: Int32(clamping: timeout.nanoseconds / 1_000_000),
            topicData: byTopic.map { ProduceRequest.TopicProduceData(name: $0.key, partitionData: $0.value) })
        let connection: BrokerConnection
        do {
            connection = try await client.connection(toNode: node)
            let version = try connection.versions.requireVersion(for: .produce, broker: connection.description)
            if configuration.acks == .none {
                try await connection.sendWithoutResponse(request, version: version)
                for batch in batches { accumulator.finish(batch, .success((-1, -1))) }
                return
            }
            let pending = connection.start(request, version: version, timeout: timeout + .seconds(5))
            handedOff = true
            Task {
                defer { accumulator.requestDone(node: node) }
                do {
                    settle(batches, response: try await pending.get())
                } catch {
                    // The request went out: the broker may have written the batches.
                    failed(batches, error, outcomeUnknown: true)
                }
            }
        } catch {
            failed(batches, error, outcomeUnknown: false)
        }
    }

    private func failed(_ batches: [ProducerBatch], _ error: Error, outcomeUnknown: Bool) {
        do {
            throw error
        } catch let error as KafkaClientError {
            if error.invalidatesMetadata {
                client.invalidateMetadata()
                refreshMetadata(Set(batches.map(\.topicPartition.topic)))
            }
            for batch in batches { retryOrFail(batch, error, outcomeUnknown: outcomeUnknown) }
        } catch {
            for batch in batches { retryOrFail(batch, KafkaClientError(.connection, "\(error)"), outcomeUnknown: outcomeUnknown) }
        }
    }

    private func settle(_ batches: [ProducerBatch], response: ProduceResponse) {
        var results: [TopicPartition: ProduceResponse.PartitionProduceResponse] = [:]
        for topic in response.responses {
            for p in topic.partitionResponses { results[TopicPartition(topic.name, p.index)] = p }
        }
        var staleMetadata = false
        for batch in batches {
            guard let result = results[batch.topicPartition] else {
                retryOrFail(batch, KafkaClientError(.protocolViolation, "the broker did not answer for this partition",
                                                    resource: "partition \(batch.topicPartition)"), outcomeUnknown: true)
                continue
            }
            let code = ErrorCode(result.errorCode)
            if code == .noError {
                accumulator.finish(batch, .success((result.baseOffset, result.logAppendTimeMs)))
            } else if code == .duplicateSequenceNumber {
                // The broker already has this batch (an earlier attempt got through): done, offset unknown.
                accumulator.finish(batch, .success((-1, -1)))
            } else {
                var message = result.errorMessage
                if message == nil, let first = result.recordErrors.first?.batchIndexErrorMessage { message = first }
                let error = KafkaClientError.broker(code, resource: "partition \(batch.topicPartition)", message: message)
                if error.invalidatesMetadata { staleMetadata = true }
                retryOrFail(batch, error, outcomeUnknown: Self.mayHaveAppended(code))
            }
        }
        if staleMetadata {
            client.invalidateMetadata()
            refreshMetadata(Set(batches.map(\.topicPartition.topic)))
        }
    }

    private func retryOrFail(_ batch: ProducerBatch, _ error: KafkaClientError, outcomeUnknown: Bool) {
        var batch = batch
        batch.lastError = error
        if outcomeUnknown { batch.outcomeUnknown = true }
        if !accumulator.requeue(batch, error: error, now: monotonicNanos()) {
            accumulator.finish(batch, .failure(Self.final(error, batch)))
        }
    }

    /// Answers after which the broker may have appended the batch although it reported an error:
    /// the acks=all wait timed out (REQUEST_TIMED_OUT), or the replicas fell short after the append.
    static func mayHaveAppended(_ code: ErrorCode) -> Bool {
        code == .requestTimedOut || code == .notEnoughReplicasAfterAppend || code == .networkException
    }

    /// The error a batch fails with: the last attempt's, saying so when an attempt's outcome is
    /// unknown — the records may be in the log (Kafka's producer says the same of a TimeoutException).
    static func final(_ error: KafkaClientError, _ batch: ProducerBatch) -> KafkaClientError {
        guard batch.outcomeUnknown else { return error }
        let what = batch.recordCount == 1 ? "the record" : "the \(batch.recordCount) records"
        return KafkaClientError(error.kind, "\(error.detail); \(what) may have been written (the outcome of an attempt is unknown)",
                                resource: error.resource)
    }

    /// The error of a batch past `delivery.timeout.ms`.
    private func expiry(_ batch: ProducerBatch) -> KafkaClientError {
        let resource = "partition \(batch.topicPartition)"
        let limit = "\(configuration.deliveryTimeout.nanoseconds / 1_000_000) ms"
        guard batch.attempts > 0 else {
            return KafkaClientError(.timeout, "not sent within the delivery timeout (\(limit))", resource: resource)
        }
        let last = batch.lastError.map { ": the last attempt failed with \($0.description)" } ?? ""
        let error = KafkaClientError(.timeout, "not acknowledged within the delivery timeout (\(limit)) after \(batch.attempts) attempt(s)\(last)",
                                     resource: resource)
        return Self.final(error, batch)
    }
}
