import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceBase
import SluiceStorage

/// Produce (key 0), versions 0-11.
///
/// - v0-2: message sets of formats 0 and 1, converted to one magic-2 batch with the producer's
///   codec before the append (see `LegacyMessageSet`); v1+: throttle time; v2: log append time.
///   Old librdkafka (kcat) compresses with gzip or snappy only when v2 is advertised.
/// - v3: magic 2 record batches, transactional id. A transactional batch needs the request's
///   transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED without one, or without WRITE on
///   it) and is appended only when the id's coordinator has the partition in the producer's
///   ongoing transaction (KIP-890 verification, `verifyTransaction`: INVALID_TXN_STATE when it
///   has not — an open transaction nothing would end would hold the partition's last stable
///   offset —, NOT_ENOUGH_REPLICAS while the coordinator is unavailable, INVALID_PRODUCER_EPOCH
///   for a fenced producer). v4-6: same layout. v7: zstd allowed (the broker
///   never decompresses anyway). v8+: per-batch record errors and an error message. v9+:
///   flexible. v10+: leader hints on NOT_LEADER_OR_FOLLOWER (the current leader and epoch per
///   partition, the leaders' endpoints; KIP-951). v11: same as v10.
/// - `acks`: 0 (no response at all; an error closes the connection, as in Kafka), 1 (answered once
///   the leader appended), or -1 (all: answered once the high watermark passes the records, i.e.
///   every in-sync replica has them; REQUEST_TIMED_OUT after `timeout_ms`; NOT_ENOUGH_REPLICAS
///   when the ISR is smaller than `min.insync.replicas` before the append, nothing written;
///   NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank below while waiting); anything else
///   INVALID_REQUIRED_ACKS. Produce requests carry no leader epoch: a deposed leader answers
///   NOT_LEADER_OR_FOLLOWER.
/// - Each partition's record set must be whole batches; the log validates them
///   (`LeaderBatchValidation`: magic 2, CRC-32C, a known codec, one record per offset, at most
///   `max.message.bytes` — MESSAGE_TOO_LARGE —, no control or transactional batches; keys on
///   compacted topics and timestamps within `message.timestamp.before/after.max.ms`, refused
///   records named by index in `record_errors`, v8+, KIP-467) and assigns offsets. Idempotent producers' sequence errors come from the log; a duplicate batch
///   is answered with the offsets it got the first time. No per-record work, no decompression.
/// - Only the partition's leader appends: elsewhere NOT_LEADER_OR_FOLLOWER, with (v10+) the
///   current leader and epoch per partition and the leaders' endpoints, so that the client goes
///   straight to the new leader (KIP-951). The batch gets the leader's epoch.
/// - A leader cut off from the controller and its followers (`BrokerServices.cutOffLeaderError`)
///   answers NOT_LEADER_OR_FOLLOWER without a hint and closes the connection after the answer.
/// - Appends to a partition are queued on it in request order and run by one appender at a time
///   on the I/O pool (`ReplicaManager.append`); `acks=all` waits in the partition's waiter list.
/// - Quotas (`producer_byte_rate`): the request's size is recorded as it is dispatched; over the
///   quota the connection is muted that long at once (acks=0 too), v1+ answers `throttle_time_ms`,
///   and v0-5 get their answer only after the throttle time (see `BrokerServices+Quotas`).
struct ProduceHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...11
    let services: BrokerServices

    typealias PartitionResponse = ProduceResponse.PartitionProduceResponse

    func handle(_ request: ProduceRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<ProduceResponse>> {
        let acks = request.acks
        let legacy = context.apiVersion < 3
        let eventLoop = context.eventLoop
        var futures: [EventLoopFuture<Served>] = []
        var shape: [(name: String, count: Int)] = []
        var hinted: Set<Int32> = []
        // A transactional produce needs WRITE on its transactional id (every partition fails
        // otherwise); each topic needs WRITE (Kafka checks before existence, so an unauthorized
        // client learns nothing about which topics exist).
        let transactionAllowed = request.transactionalId.map { services.authorize(context, .write, .transactionalId($0)) } ?? true
        for topic in request.topicData {
            let metadata = services.metadata.topic(topic.name)
            let writeAllowed = services.authorize(context, .write, topic: topic.name)
            shape.append((topic.name, topic.partitionData.count))
            for partition in topic.partitionData {
                let index = partition.index
                func failed(_ code: ErrorCode, _ message: String? = nil) -> EventLoopFuture<Served> {
                    eventLoop.makeSucceededFuture(Served(Self.failure(index, ApiError(code, message))))
                }
                guard acks == 0 || acks == 1 || acks == -1 else {
                    futures.append(failed(.invalidRequiredAcks))
                    continue
                }
                guard transactionAllowed else {
                    futures.append(failed(.transactionalIdAuthorizationFailed, "Transactional Id authorization failed."))
                    continue
                }
                guard writeAllowed else {
                    futures.append(failed(.topicAuthorizationFailed, "Not authorized to access topics: [\(topic.name)]"))
                    continue
                }
                guard let metadata, index >= 0, Int(index) < metadata.partitions.count else {
                    futures.append(failed(.unknownTopicOrPartition, "This server does not host this topic-partition."))
                    continue
                }
                guard case let .bytes(records)? = partition.records else {
                    futures.append(failed(.invalidRecord, "A produce request must carry record batches"))
                    continue
                }
                let transactional = Self.transactionalProducer(records)
                if transactional != nil && (request.transactionalId ?? "").isEmpty {
                    futures.append(failed(.transactionalIdAuthorizationFailed, "A transactional batch needs a transactional id."))
                    continue
                }
                let tp = TopicPartition(topic.name, index)
                if let error = services.cutOffLeaderError(tp) {
                    // No leader hint (this broker does not know the new one), and the connection
                    // closes after the answer: librdkafka asks the broker it used last for
                    // metadata, and this one's is stale.
                    futures.append(failed(error.code, error.message))
                    services.replicas.failParkedProduces(tp, error)
                    context.session?.requestClose(reason: "this broker is cut off from the controller and its followers")
                    continue
                }
                if let error = services.notLeaderError(tp) {
                    var response = Self.failure(index, error)
                    if let hint = services.leaderHint(tp), hint.leader >= 0 {
                        response.currentLeader = .init(leaderId: hint.leader, leaderEpoch: hint.epoch)
                        hinted.insert(hint.leader)
                    }
                    futures.append(eventLoop.makeSucceededFuture(Served(response)))
                    continue
                }
                let verified: EventLoopFuture<ErrorCode>
                if let transactional, let transactionalId = request.transactionalId {
                    verified = services.verifyTransaction(transactionalId, producerId: transactional.producerId,
                                                          producerEpoch: transactional.producerEpoch, partition: tp, on: eventLoop)
                        .map { $0 == .producerFenced ? .invalidProducerEpoch : $0 }
                } else {
                    verified = eventLoop.makeSucceededFuture(.noError)
                }
                let replicas = services.replicas
                let timeoutMs = Int64(request.timeoutMs)
                futures.append(verified.flatMap { error -> EventLoopFuture<Result<LogAppendInfo, ApiError>> in
                    guard error == .noError else {
                        return eventLoop.makeSucceededFuture(.failure(ApiError(error, "The partition is not in the producer's ongoing transaction (\(error)).")))
                    }
                    return replicas.append(records, to: tp, requiredAcks: acks, timeoutMs: timeoutMs, legacy: legacy, on: eventLoop)
                }.map { result in
                    switch result {
                    case let .success(info):
                        return Served(PartitionResponse(index: index, errorCode: 0, baseOffset: info.firstOffset,
                                                        logAppendTimeMs: info.logAppendTime, logStartOffset: info.logStartOffset),
                                      records: info.recordCount, bytes: info.byteCount)
                    case let .failure(error):
                        return Served(Self.failure(index, error))
                    }
                })
            }
        }
        let shapeDone = shape
        let image = services.metadata.snapshot
        let endpoints: [ProduceResponse.NodeEndpoint] = hinted.sorted().compactMap { id in
            image.brokers[id]?.clientEndpoint.map { .init(nodeId: id, host: $0.address.host, port: Int32($0.address.port), rack: image.brokers[id]?.rack) }
        }
        let metrics = services.metrics
        // Quotas: the whole request counts, as in Kafka (`request.sizeInBytes`), recorded as it
        // is dispatched so that the connection is muted before it serves anything read behind it
        // (Kafka records once the request is served, but reads nothing else meanwhile).
        let throttleMs = services.recordQuota(.produce, bytes: context.requestSize, context: context)
        if throttleMs > 0 { context.session?.requestMute(throttleMs) }
        return EventLoopFuture.whenAllSucceed(futures, on: eventLoop).flatMapThrowing { [services] served -> (HandlerReply<ProduceResponse>, Int64) in
            Self.record(served, shape: shapeDone, in: metrics)
            let partitions = served.map(\.response)
            if acks == 0 {
                // No response can carry the error: Kafka closes the connection so that the
                // producer notices and refreshes its metadata.
                if let failed = partitions.first(where: { $0.errorCode != 0 }) {
                    throw RequestRejection(description: "acks=0 produce failed: \(ErrorCode(failed.errorCode))")
                }
                return (HandlerReply(nil), 0)
            }
            var response = ProduceResponse()
            response.throttleTimeMs = Int32(clamping: throttleMs)
            response.nodeEndpoints = endpoints
            var cursor = 0
            for (name, count) in shapeDone {
                response.responses.append(.init(name: name, partitionResponses: Array(partitions[cursor..<cursor + count])))
                cursor += count
            }
            return (HandlerReply(response), throttleMs)
        }.flatMap { [services] reply, throttleMs in
            // The connection is muted already; v0-5 clients (before KIP-219) also get their answer
            // only after the throttle time.
            context.apiVersion >= 6 || throttleMs == 0 ? eventLoop.makeSucceededFuture(reply)
                : services.throttled(reply, throttleMs: throttleMs, clientThrottles: false, context: context)
        }
    }

    /// The producer id and epoch of the first magic-2 batch of `records` with the transactional
    /// attribute (bit 4 of the attributes at byte 21; producer id at 43, epoch at 51), or nil;
    /// legacy message sets and truncated input are left to the log.
    static func transactionalProducer(_ records: ByteBuffer) -> (producerId: Int64, producerEpoch: Int16)? {
        var at = records.readerIndex
        let end = records.writerIndex
        while at + 53 <= end, let length = records.getInteger(at: at + 8, as: Int32.self), length > 0,
              let magic = records.getInteger(at: at + 16, as: Int8.self), magic == 2,
              let attributes = records.getInteger(at: at + 21, as: Int16.self) {
            if attributes & 0x10 != 0, let producerId = records.getInteger(at: at + 43, as: Int64.self),
               let epoch = records.getInteger(at: at + 51, as: Int16.self) {
                return (producerId, epoch)
            }
            at += 12 + Int(length)
        }
        return nil
    }

    /// One partition's answer, with what it appended (for the metrics).
    struct Served: Sendable {
        var response: PartitionResponse
        var records = 0
        var bytes = 0
        init(_ response: PartitionResponse, records: Int = 0, bytes: Int = 0) {
            self.response = response
            self.records = records
            self.bytes = bytes
        }
    }

    /// Counts the request once per topic: partitions, failures, records and bytes appended.
    static func record(_ served: [Served], shape: [(name: String, count: Int)], in metrics: BrokerMetrics) {
        var cursor = 0
        for (name, count) in shape {
            var failed = 0, records = 0, bytes = 0
            for partition in served[cursor..<cursor + count] {
                if partition.response.errorCode != 0 { failed += 1 }
                records += partition.records
                bytes += partition.bytes
            }
            metrics.produced(topic: name, partitions: count, failed: failed, records: records, bytes: bytes)
            cursor += count
        }
    }

    static func failure(_ index: Int32, _ error: ApiError) -> PartitionResponse {
        var response = PartitionResponse(index: index, errorCode: error.code.rawValue, baseOffset: -1,
                                         logAppendTimeMs: -1, logStartOffset: -1)
        response.errorMessage = error.message
        // Only records refused one by one are named, as Kafka does: a client fails those and
        // (librdkafka) the rest of their batch with _INVALID_DIFFERENT_RECORD, which it may
        // produce again; a batch-level error (a bad CRC, a bad count) fails the whole batch.
        response.recordErrors = error.recordErrors.map { .init(batchIndex: $0.batchIndex, batchIndexErrorMessage: $0.message) }
        return response
    }
}
