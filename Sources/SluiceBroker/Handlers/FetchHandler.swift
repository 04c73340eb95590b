import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceBase
import SluiceStorage

/// Fetch (key 1), versions 0-17.
///
/// - v0-3: the batches are down-converted to messages of format 0 (v0-1) or 1 (v2-3), in memory
///   and uncompressed, record headers dropped (see `LegacyMessageSet`). v3+: `max_bytes`.
///   Old librdkafka (kcat) compresses with gzip or snappy only when v2 is advertised.
/// - v4: magic 2 batches, isolation level, last stable offset and aborted transactions:
///   `isolation_level` 1 (read_committed) reads up to the last stable offset and lists the
///   aborted transactions that overlap the records returned (null for read_uncommitted), so that
///   the consumer drops their records; control batches go out as they are (clients skip them).
///   v5+: log start offset. v7+: fetch sessions — Sluice creates none (session id 0), so
///   clients send full fetches; a non-zero session id gets FETCH_SESSION_ID_NOT_FOUND.
///   v9+: current leader epoch: newer than this node's → UNKNOWN_LEADER_EPOCH, older →
///   FENCED_LEADER_EPOCH (checked before leadership, as Kafka does: a follower answers them too). v10: zstd allowed.
///   v11: rack id and preferred read replica (KIP-392, below).
///   v12+: flexible; last fetched epoch (followers: the leader answers a diverging epoch when
///   their log diverges, KIP-320). v13+: topics by id (UNKNOWN_TOPIC_ID when unknown). v15+:
///   replica state (replica id and broker epoch). v16-17: leader hints and directory ids.
/// - A replica id >= 0 is a follower: served by ``ReplicaManager/serveFollowerFetch`` (records
///   up to the log end, its position recorded for the ISR and the high watermark, long poll on
///   the leader's log end). Consumers read up to the high watermark (read_committed: the last
///   stable offset) and long-poll on it.
/// - The partition's leader serves fetches; from v11, a follower serves consumers too, up to the
///   high watermark it knows (fetch from follower, KIP-392). Elsewhere NOT_LEADER_OR_FOLLOWER,
///   with (v12+) the current leader and epoch per partition and (v16+) the leaders' endpoints.
///   Epoch checks use the epoch this broker's replica knows.
/// - With `replica.selector.class` = Kafka's `RackAwareReplicaSelector`, the leader answers a
///   consumer whose `rack_id` names another rack than the leader's with `preferred_read_replica`:
///   an in-sync follower of that rack holding the fetch offset (``ReplicaSelector``), no records,
///   at once; the consumer then fetches from it.
/// - Long poll: when less than `min_bytes` is available the fetch waits in the
///   ``FetchPurgatory`` until appends bring enough or `max_wait_ms` passes, then reads again.
/// - Limits: `max_bytes` in total and `partition_max_bytes` each, except the first batch found,
///   which is always returned whole (KIP-74). Every requested partition is answered, in order.
/// - Records go out as file regions (sendfile) when the log gives them; their handles are
///   released once the response is written.
/// - Quotas (`consumer_byte_rate`, consumers only): `max_bytes` is capped at what the quota allows
///   in a window; a fetch that would put the client over its quota answers empty with
///   `throttle_time_ms` (its bytes not counted) and mutes the connection that long (v8+), or is
///   held back that long (v0-7).
struct FetchHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...17
    let services: BrokerServices

    func handle(_ request: FetchRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<FetchResponse>> {
        let version = context.apiVersion
        if request.sessionId != 0 {
            return reply(FetchResponse(errorCode: ErrorCode.fetchSessionIdNotFound.rawValue, sessionId: 0), context)
        }
        let snapshot = services.metadata.snapshot
        let fromFollower = request.replica(version: version).id >= 0
        // A follower needs CLUSTER_ACTION on the cluster (brokers have it as super users); a
        // consumer READ on each topic. Refused partitions get TOPIC_AUTHORIZATION_FAILED, as Kafka answers both.
        let followerDenied = fromFollower && !services.authorizeClusterAction(context)
        if fromFollower && !followerDenied {
            // A follower replica: served by the replication engine (Replication/).
            let topics = request.topics.map { topic in
                let metadata = version >= 13 ? snapshot.topic(id: topic.topicId) : snapshot.topics[topic.topic]
                return FollowerFetchTopic(name: version >= 13 ? metadata?.name : topic.topic, id: topic.topicId,
                                          partitions: topic.partitions)
            }
            return services.replicas.serveFollowerFetch(request, version: version, topics: topics, on: context.eventLoop)
        }
        var collectedTargets: [FetchTarget] = []
        var collectedShape: [(name: String, id: KafkaUUID, count: Int)] = []
        for topic in request.topics {
            let metadata = version >= 13 ? snapshot.topic(id: topic.topicId) : snapshot.topics[topic.topic]
            let name = metadata?.name ?? topic.topic
            let readAllowed = !followerDenied && (metadata == nil && version >= 13 || services.authorize(context, .read, topic: name))
            collectedShape.append((name, topic.topicId, topic.partitions.count))
            for partition in topic.partitions {
                var target = FetchTarget(tp: TopicPartition(name, partition.partition), fetchOffset: partition.fetchOffset,
                                         partitionMaxBytes: Int(partition.partitionMaxBytes))
                if !readAllowed {
                    target.error = ApiError(.topicAuthorizationFailed)
                } else if let metadata, partition.partition >= 0, Int(partition.partition) < metadata.partitions.count {
                    // KIP-392: consumers sending Fetch v11+ may read from a follower too.
                    target.error = services.leaderError(target.tp, currentLeaderEpoch: partition.currentLeaderEpoch,
                                                        followerMayServe: version >= 11)
                } else {
                    target.error = ApiError(version >= 13 && metadata == nil ? .unknownTopicId : .unknownTopicOrPartition)
                }
                collectedTargets.append(target)
            }
        }
        let targets = collectedTargets
        let shape = collectedShape
        let toLogEnd = false
        // Quotas: a consumer never gets more at once than its quota allows in a window (Kafka's
        // `getMaxValueInQuotaWindow`).
        let quotaBytes = services.quotas.maxBytesInWindow(.fetch, user: context.principal.name,
                                                          clientId: context.header.clientId ?? "",
                                                          quotas: snapshot.clientQuotas)
        let maxBytes = min(Int(request.maxBytes), quotaBytes.map { max($0, 1) } ?? Int.max)
        let readCommitted = version >= 4 && request.isolationLevel == 1
        let replicas = services.replicas
        let eventLoop = context.eventLoop
        // KIP-392: a consumer in a rack may be sent to an in-sync replica of its rack.
        let selector = version >= 11 && !request.rackId.isEmpty ? services.config.replicaSelector : nil
        let clientRack = request.rackId
        let metadata = services.metadata
        let readAll: @Sendable () -> [PartitionRead] = {
            var targets = targets
            if let selector {
                replicas.choosePreferredReadReplicas(&targets, selector: selector, clientRack: clientRack, image: metadata.snapshot)
            }
            let reads = replicas.read(targets, maxBytes: maxBytes, toLogEnd: toLogEnd, readCommitted: readCommitted)
            return version < 4 ? replicas.downConvert(reads, targets: targets, version: version) : reads
        }
        let first = replicas.offLoop(on: eventLoop, readAll)
        return first.flatMap { reads in
            let available = reads.reduce(0) { $0 + $1.records.byteCount }
            let hasError = reads.contains { $0.errorCode != .noError }
            // As Kafka: a partition redirected to another replica answers at once.
            let redirected = reads.contains { $0.preferredReadReplica >= 0 }
            if request.maxWaitMs <= 0 || available >= Int(request.minBytes) || hasError || redirected || targets.isEmpty {
                return eventLoop.makeSucceededFuture(reads)
            }
            // Not enough yet: wait for appends (or the timeout), then read again.
            for read in reads { read.release() }
            let promise = eventLoop.makePromise(of: [PartitionRead].self)
            let seen = reads.map { ($0.tp, $0.highWatermark) }
            // Registered from the I/O pool: the re-check reads the logs' watermarks, which
            // share a lock with appends.
            replicas.offLoop(on: eventLoop) {
                replicas.purgatory.wait(for: targets.map(\.tp), availableBytes: available, minBytes: Int(request.minBytes),
                                        maxWait: .milliseconds(Int64(request.maxWaitMs)), on: eventLoop,
                                        changedSinceRead: {
                    seen.contains { tp, watermark in replicas.logs.log(for: tp).map { $0.highWatermark != watermark } ?? true }
                }) {
                    promise.completeWith(replicas.offLoop(on: eventLoop, readAll))
                }
            }.whenFailure { promise.fail($0) }  // the pool is shutting down
            return promise.futureResult
        }.flatMap { [services] reads in
            let bytes = reads.reduce(0) { $0 + $1.records.byteCount }
            let throttleMs = services.recordQuota(.fetch, bytes: bytes, context: context)
            if throttleMs > 0 {
                // Over the quota: an empty answer (its bytes taken back, as Kafka does) with the
                // throttle time; the records are read again after it.
                for read in reads { read.release() }
                services.quotas.unrecord(.fetch, bytes: bytes, user: context.principal.name,
                                         clientId: context.header.clientId ?? "",
                                         quotas: services.cluster.view.image.clientQuotas)
                var response = FetchResponse(errorCode: 0, sessionId: 0)
                response.throttleTimeMs = Int32(clamping: throttleMs)
                return services.throttled(HandlerReply(response), throttleMs: throttleMs,
                                          clientThrottles: version >= 8, context: context)
            }
            Self.record(reads, shape: shape.map { ($0.name, $0.count) }, in: services.metrics)
            var response = FetchResponse(errorCode: 0, sessionId: 0)
            var hinted: Set<Int32> = []
            var cursor = 0
            for (name, id, count) in shape {
                let partitions = reads[cursor..<cursor + count].map { read in
                    FetchResponse.PartitionData(
                        partitionIndex: read.tp.partition, errorCode: read.errorCode.rawValue,
                        highWatermark: read.highWatermark, lastStableOffset: read.lastStableOffset,
                        logStartOffset: read.logStartOffset,
                        abortedTransactions: read.abortedTransactions.map { list in
                            list.map { .init(producerId: $0.producerId, firstOffset: $0.firstOffset) }
                        } ?? (readCommitted ? [] : nil),
                        preferredReadReplica: read.preferredReadReplica, records: read.records)
                }.map { data in
                    var data = data
                    let moved: Set<Int16> = [ErrorCode.notLeaderOrFollower.rawValue, ErrorCode.fencedLeaderEpoch.rawValue]
                    if moved.contains(data.errorCode), let hint = services.leaderHint(TopicPartition(name, data.partitionIndex)),
                       hint.leader >= 0 {
                        data.currentLeader = .init(leaderId: hint.leader, leaderEpoch: hint.epoch)
                        hinted.insert(hint.leader)
                    }
                    return data
                }
                response.responses.append(.init(topic: name, topicId: id, partitions: partitions))
                cursor += count
            }
            let image = services.metadata.snapshot
            response.nodeEndpoints = hinted.sorted().compactMap { id in
                image.brokers[id]?.clientEndpoint.map { .init(nodeId: id, host: $0.address.host, port: Int32($0.address.port), rack: image.brokers[id]?.rack) }
            }
            return eventLoop.makeSucceededFuture(HandlerReply(response, onWritten: { for read in reads { read.release() } }))
        }
    }

    /// Counts a consumer fetch once per topic: partitions, failures, bytes returned.
    static func record(_ reads: [PartitionRead], shape: [(name: String, count: Int)], in metrics: BrokerMetrics) {
        var cursor = 0
        for (name, count) in shape {
            var failed = 0, bytes = 0
            for read in reads[cursor..<cursor + count] {
                if read.errorCode != .noError { failed += 1 }
                bytes += read.records.byteCount
            }
            metrics.fetched(topic: name, partitions: count, failed: failed, bytes: bytes)
            cursor += count
        }
    }
}
