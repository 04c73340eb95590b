import KafkaProtocol
import NIOCore
@testable import SluiceBroker
import SluiceBase
import SluiceStorage

/// The safety invariants of replication, checked after every simulated event:
///
/// 1. **Replicas agree below their high watermarks.** Every replica's records below its high
///    watermark match one committed history per partition (built from what any replica holds
///    below its watermark); the history never changes, only grows.
/// 2. **Acknowledged records are never lost or changed.** A record acknowledged to an
///    `acks=all` producer is in the history at the offset it was acknowledged with, and one value
///    is never acknowledged at two offsets (idempotence across retries and leader changes).
/// 3. **The leader has everything committed.** A replica leading at the controller's current
///    epoch holds the whole history (it was elected from the ISR).
/// 4. **Truncation never cuts committed records**: a follower never truncates below its high
///    watermark; a replica's high watermark never goes backwards while it runs.
struct ReplicationChecker {
    struct LogKey: Hashable {
        var broker: Int32
        var incarnation: Int
        var topicPartition: TopicPartition
    }

    /// Committed values by offset (offsets from 0: the simulation has no retention).
    private(set) var history: [TopicPartition: [String]] = [:]
    private var ackedAt: [String: Int64] = [:]
    private var pendingAcks: [(TopicPartition, Int64, String)] = []
    private var verified: [LogKey: Int64] = [:]
    private var watermarks: [LogKey: Int64] = [:]

    var ackedCount: Int { ackedAt.count }

    mutating func brokerStarted(_ id: Int32, incarnation: Int) {}

    mutating func truncated(broker: Int32, incarnation: Int, _ truncation: ReplicaTruncation,
                            sim: ReplicationSim) throws {
        if truncation.toOffset < truncation.highWatermarkBefore {
            throw sim.failure("broker \(broker) truncated \(truncation.topicPartition) to \(truncation.toOffset), below its high watermark \(truncation.highWatermarkBefore)")
        }
        let key = LogKey(broker: broker, incarnation: incarnation, topicPartition: truncation.topicPartition)
        if let done = verified[key] { verified[key] = min(done, truncation.toOffset) }
    }

    mutating func acknowledged(_ tp: TopicPartition, baseOffset: Int64, values: [String], sim: ReplicationSim) throws {
        guard baseOffset >= 0 else { throw sim.failure("acknowledged \(values) without an offset") }
        for (i, value) in values.enumerated() {
            let offset = baseOffset + Int64(i)
            if let earlier = ackedAt[value], earlier != offset {
                throw sim.failure("\(value) acknowledged at \(offset) after being acknowledged at \(earlier) (duplicate)")
            }
            ackedAt[value] = offset
            pendingAcks.append((tp, offset, value))
        }
        try checkAcks(sim)
    }

    private mutating func checkAcks(_ sim: ReplicationSim) throws {
        var still: [(TopicPartition, Int64, String)] = []
        for (tp, offset, value) in pendingAcks {
            let committed = history[tp] ?? []
            guard offset < Int64(committed.count) else {
                still.append((tp, offset, value))
                continue
            }
            if committed[Int(offset)] != value {
                throw sim.failure("acknowledged \(value) at \(tp)@\(offset), but the committed record there is \(committed[Int(offset)])")
            }
        }
        pendingAcks = still
    }

    mutating func check(_ sim: ReplicationSim) throws {
        for id in sim.options.brokers {
            let broker = sim.brokers[id]!
            guard let engine = broker.engine else { continue }
            for (tp, log) in broker.logs.sorted(by: { $0.key < $1.key }) {
                let key = LogKey(broker: id, incarnation: broker.incarnation, topicPartition: tp)
                let hw = log.highWatermark
                if let previous = watermarks[key], hw < previous {
                    throw sim.failure("broker \(id): the high watermark of \(tp) went back from \(previous) to \(hw)")
                }
                watermarks[key] = hw
                var upTo = hw
                let committedEnd = Int64(history[tp]?.count ?? 0)
                if let status = engine.partition(tp)?.status, status.isLeader,
                   status.leaderEpoch == sim.controller.state(tp)?.leaderEpoch {
                    if log.logEndOffset < committedEnd {
                        throw sim.failure("broker \(id) leads \(tp) at epoch \(status.leaderEpoch) but its log ends at \(log.logEndOffset), below committed records up to \(committedEnd)")
                    }
                    upTo = max(hw, committedEnd)
                }
                let from = max(verified[key] ?? 0, log.logStartOffset)
                guard from < upTo else { continue }
                try verify(log, tp, from: from, upTo: upTo, broker: id, sim: sim)
                verified[key] = upTo
            }
        }
        if !pendingAcks.isEmpty { try checkAcks(sim) }
    }

    /// Compares the records of `log` in `[from, upTo)` with the history, extending it.
    private mutating func verify(_ log: DiskPartitionLog, _ tp: TopicPartition, from: Int64, upTo: Int64, broker: Int32,
                                 sim: ReplicationSim) throws {
        var offset = from
        var committed = history[tp] ?? []
        defer { history[tp] = committed }
        while offset < upTo {
            let read = try log.read(from: offset, maxBytes: 1 << 20, maxOffset: upTo, minOneBatch: true)
            let bytes = try read.records.loadBytes()
            read.release()
            var advanced = false
            for batch in RecordBatchSequence(bytes) {
                for record in try batch.records() where record.offset >= offset && record.offset < upTo {
                    let value = record.value.map { String(buffer: $0) } ?? "<null>"
                    if record.offset < Int64(committed.count) {
                        if committed[Int(record.offset)] != value {
                            throw sim.failure("broker \(broker): \(tp)@\(record.offset) holds \(value), but the committed record there is \(committed[Int(record.offset)])")
                        }
                    } else if record.offset == Int64(committed.count) {
                        committed.append(value)
                    } else {
                        throw sim.failure("broker \(broker): \(tp) skips from \(committed.count) to \(record.offset) below its high watermark")
                    }
                    offset = record.offset + 1
                    advanced = true
                }
            }
            if !advanced { throw sim.failure("broker \(broker): no records in \(tp) at \(offset) below \(upTo)") }
        }
    }

    /// Every acknowledged record, by partition and offset (for the final read-back).
    var acknowledged: [String: Int64] { ackedAt }
}
