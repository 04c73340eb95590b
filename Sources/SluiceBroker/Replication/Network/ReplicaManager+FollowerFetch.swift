import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// One topic of a follower's fetch, with its name resolved (nil: unknown topic id).
struct FollowerFetchTopic: Sendable {
    var name: String?
    var id: KafkaUUID
    var partitions: [FetchRequest.FetchPartition]
}

extension ReplicaManager {
    /// Serves a Fetch from a follower replica (replica id >= 0): each partition as its leader
    /// (divergence check, records up to the log end, the follower's position recorded, which may
    /// grow the ISR and the high watermark); long-polls until the leader's log grows by
    /// `min_bytes` or `max_wait_ms` passes. Answers in request order.
    func serveFollowerFetch(_ request: FetchRequest, version: Int16, topics: [FollowerFetchTopic],
                            on eventLoop: any EventLoop) -> EventLoopFuture<HandlerReply<FetchResponse>> {
        let replica = request.replica(version: version)
        var targets: [ReplicaFetchTarget] = []
        var unresolved: Set<Int> = []
        for topic in topics {
            for p in topic.partitions {
                if topic.name == nil { unresolved.insert(targets.count) }
                targets.append(ReplicaFetchTarget(
                    topicPartition: TopicPartition(topic.name ?? "", p.partition), currentLeaderEpoch: p.currentLeaderEpoch,
                    fetchOffset: p.fetchOffset, lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1,
                    logStartOffset: p.logStartOffset, partitionMaxBytes: Int(p.partitionMaxBytes)))
            }
        }
        let unknown = unresolved
        let known = targets.enumerated().filter { !unknown.contains($0.offset) }.map(\.element)
        let maxBytes = Int(request.maxBytes)
        let serve: @Sendable () -> (ServedReplicaFetch, [TopicPartition: Int64]) = { [self] in
            let (served, effects) = engine.serveReplicaFetch(replicaId: replica.id, brokerEpoch: replica.brokerEpoch,
                                                             targets: known, maxBytes: maxBytes, now: Self.nowMs())
            perform(effects)
            var ends: [TopicPartition: Int64] = [:]
            for target in known { ends[target.topicPartition] = engine.partition(target.topicPartition)?.log.logEndOffset }
            return (served, ends)
        }
        let minBytes = Int(request.minBytes)
        let first = offLoop(on: eventLoop, serve)
        return first.flatMap { [self] served, ends in
            if request.maxWaitMs <= 0 || served.bytes >= minBytes || served.hasNews || known.isEmpty {
                return eventLoop.makeSucceededFuture(served)
            }
            served.release()
            let promise = eventLoop.makePromise(of: ServedReplicaFetch.self)
            offLoop(on: eventLoop) { [self] in
                purgatory.wait(for: known.map(\.topicPartition), kind: .logEnd, availableBytes: served.bytes,
                               minBytes: minBytes, maxWait: .milliseconds(Int64(request.maxWaitMs)), on: eventLoop,
                               changedSinceRead: { [self] in
                    ends.contains { tp, end in engine.partition(tp)?.log.logEndOffset != end }
                }) { [self] in
                    promise.completeWith(offLoop(on: eventLoop) { serve().0 })
                }
            }.whenFailure { promise.fail($0) }
            return promise.futureResult
        }.map { served in
            var response = FetchResponse(errorCode: 0, sessionId: 0)
            var answers = served.partitions[...]
            var index = 0
            for topic in topics {
                var partitions: [FetchResponse.PartitionData] = []
                for p in topic.partitions {
                    if unknown.contains(index) {
                        partitions.append(.init(partitionIndex: p.partition, errorCode: ErrorCode.unknownTopicId.rawValue,
                                                highWatermark: -1, records: .bytes(ByteBuffer())))
                    } else {
                        partitions.append(answers.removeFirst())
                    }
                    index += 1
                }
                response.responses.append(.init(topic: topic.name ?? "", topicId: topic.id, partitions: partitions))
            }
            return HandlerReply(response, onWritten: { served.release() })
        }
    }
}
