import KafkaProtocol
import SluiceBase
import SluiceStorage

/// One partition of a follower's fetch, with its topic resolved.
struct ReplicaFetchTarget: Sendable {
    var topicPartition: TopicPartition
    var currentLeaderEpoch: Int32
    var fetchOffset: Int64
    var lastFetchedEpoch: Int32
    var logStartOffset: Int64
    var partitionMaxBytes: Int
}

/// A leader's answer to a follower's fetch, partition by partition in request order.
struct ServedReplicaFetch: Sendable {
    var partitions: [FetchResponse.PartitionData] = []
    /// The reads behind `partitions` (file regions): release once the response is written.
    var reads: [LogReadResult] = []
    /// Record bytes in the answer.
    var bytes = 0
    /// Whether some partition carries an error or a diverging epoch (answer at once).
    var hasNews = false

    func release() { for read in reads { read.release() } }
}

extension ReplicaEngine {
    /// Serves a follower's fetch as the leader of each partition (see
    /// ``ReplicaPartition/serveReplicaFetch(replicaId:brokerEpoch:currentLeaderEpoch:fetchOffset:lastFetchedEpoch:followerLogStartOffset:maxBytes:minOneBatch:now:)``),
    /// within `maxBytes` in total; the first partition with data returns at least one whole batch.
    func serveReplicaFetch(replicaId: Int32, brokerEpoch: Int64, targets: [ReplicaFetchTarget], maxBytes: Int,
                           now: Int64) -> (ServedReplicaFetch, Effects) {
        var served = ServedReplicaFetch()
        var effects = Effects()
        var remaining = max(0, maxBytes)
        for target in targets {
            let index = target.topicPartition.partition
            guard let partition = partition(target.topicPartition) else {
                served.partitions.append(.init(partitionIndex: index, errorCode: ErrorCode.notLeaderOrFollower.rawValue,
                                               highWatermark: -1, logStartOffset: -1, records: .bytes(.init())))
                served.hasNews = true
                continue
            }
            let limit = min(max(0, target.partitionMaxBytes), remaining)
            let (answer, changed) = partition.serveReplicaFetch(
                replicaId: replicaId, brokerEpoch: brokerEpoch, currentLeaderEpoch: target.currentLeaderEpoch,
                fetchOffset: target.fetchOffset, lastFetchedEpoch: target.lastFetchedEpoch,
                followerLogStartOffset: target.logStartOffset, maxBytes: limit, minOneBatch: served.bytes == 0, now: now)
            effects.merge(changed)
            var data = FetchResponse.PartitionData(partitionIndex: index, records: .bytes(.init()))
            switch answer {
            case let .error(code, highWatermark, logStartOffset):
                data.errorCode = code.rawValue
                data.highWatermark = highWatermark
                data.logStartOffset = logStartOffset
                served.hasNews = true
            case let .diverging(epoch, endOffset, highWatermark, logStartOffset):
                data.divergingEpoch = .init(epoch: epoch, endOffset: endOffset)
                data.highWatermark = highWatermark
                data.logStartOffset = logStartOffset
                served.hasNews = true
            case let .records(read):
                data.highWatermark = read.highWatermark
                data.lastStableOffset = read.highWatermark
                data.logStartOffset = read.logStartOffset
                data.records = read.records
                let size = read.records.byteCount
                served.bytes += size
                remaining = max(0, remaining - size)
                served.reads.append(read)
            }
            data.abortedTransactions = nil
            served.partitions.append(data)
        }
        absorb(&effects)
        return (served, effects)
    }
}

extension FetchRequest {
    /// The fetching replica's id and broker epoch: `ReplicaId` before v15, `ReplicaState` from v15
    /// on (KIP-903). Consumers send -1.
    func replica(version: Int16) -> (id: Int32, brokerEpoch: Int64) {
        version >= 15 ? (replicaState.replicaId, replicaState.replicaEpoch) : (replicaId, -1)
    }
}
