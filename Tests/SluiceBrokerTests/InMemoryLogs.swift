import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import SluiceBase
import SluiceBroker
import SluiceStorage

/// A test double for the storage layer: partition logs held in memory, with the batch
/// validation, offset assignment, high watermark and range checks of the real log (no
/// idempotence checks).
final class InMemoryLogDirectory: LogDirectory {
    private let logs = NIOLockedValueBox<[TopicPartition: InMemoryLog]>([:])

    func log(for tp: TopicPartition) -> (any PartitionLog)? { logs.withLockedValue { $0[tp] } }

    func getOrCreateLog(for tp: TopicPartition, config: LogConfig) throws -> any PartitionLog {
        logs.withLockedValue { logs in
            if let log = logs[tp] { return log }
            let log = InMemoryLog(tp, config: config)
            logs[tp] = log
            return log
        }
    }

    func deleteLog(for tp: TopicPartition) throws { _ = logs.withLockedValue { $0.removeValue(forKey: tp) } }

    var allLogs: [TopicPartition: any PartitionLog] { logs.withLockedValue { $0 } }

    func shutdown() {}
}

final class InMemoryLog: PartitionLog {
    private struct State {
        var config: LogConfig
        var batches: [RecordBatch] = []
        var end: Int64 = 0
        var highWatermark: Int64 = 0
    }

    let topicPartition: TopicPartition
    private let state: NIOLockedValueBox<State>

    init(_ tp: TopicPartition, config: LogConfig) {
        self.topicPartition = tp
        self.state = NIOLockedValueBox(State(config: config))
    }

    var config: LogConfig { state.withLockedValue { $0.config } }
    var logStartOffset: Int64 { 0 }
    var logEndOffset: Int64 { state.withLockedValue { $0.end } }
    var highWatermark: Int64 { state.withLockedValue { $0.highWatermark } }
    var sizeInBytes: Int64 { state.withLockedValue { Int64($0.batches.reduce(0) { $0 + $1.totalSize }) } }
    var latestLeaderEpoch: Int32? { nil }

    func appendAsLeader(_ batches: [RecordBatch], leaderEpoch: Int32, now: Int64) throws -> LogAppendInfo {
        let batches = try LeaderBatchValidation.validate(batches, config: config)
        return state.withLockedValue { state in
            let first = state.end
            var bytes = 0
            var records = 0
            for var batch in batches {
                batch.setBaseOffset(state.end)
                batch.setPartitionLeaderEpoch(leaderEpoch)
                state.end = batch.nextOffset
                bytes += batch.totalSize
                records += Int(batch.recordCount)
                state.batches.append(batch)
            }
            return LogAppendInfo(firstOffset: first, lastOffset: state.end - 1, logAppendTime: -1, logStartOffset: 0,
                                 recordCount: records, byteCount: bytes)
        }
    }

    /// Appends a leader's batches with their offsets and epochs as they are (offsets must not go back).
    func appendAsFollower(_ batches: [RecordBatch]) throws -> LogAppendInfo {
        try state.withLockedValue { state in
            let first = batches.first?.baseOffset ?? state.end
            var bytes = 0
            var records = 0
            for batch in batches {
                guard batch.baseOffset >= state.end else {
                    throw StorageError.offsetOutOfRange(requested: batch.baseOffset, logStart: 0, logEnd: state.end)
                }
                state.end = batch.nextOffset
                bytes += batch.totalSize
                records += Int(batch.recordCount)
                state.batches.append(batch)
            }
            return LogAppendInfo(firstOffset: first, lastOffset: state.end - 1, logAppendTime: -1, logStartOffset: 0,
                                 recordCount: records, byteCount: bytes)
        }
    }

    func read(from offset: Int64, maxBytes: Int, maxOffset: Int64, minOneBatch: Bool) throws -> LogReadResult {
        try state.withLockedValue { state in
            guard offset >= 0, offset <= state.end else {
                throw StorageError.offsetOutOfRange(requested: offset, logStart: 0, logEnd: state.end)
            }
            var out = ByteBuffer()
            for batch in state.batches where batch.nextOffset > offset && batch.baseOffset < maxOffset {
                if out.readableBytes + batch.totalSize > maxBytes && !(minOneBatch && out.readableBytes == 0) { break }
                out.writeImmutableBuffer(batch.bytes)
            }
            return LogReadResult(records: .bytes(out), highWatermark: state.highWatermark, logStartOffset: 0,
                                 logEndOffset: state.end)
        }
    }

    func offset(forTimestamp timestamp: Int64) throws -> TimestampAndOffset? {
        state.withLockedValue { state in
            state.batches.first(where: { $0.maxTimestamp >= timestamp }).map {
                TimestampAndOffset(timestamp: $0.maxTimestamp, offset: $0.baseOffset, leaderEpoch: 0)
            }
        }
    }

    func endOffset(forLeaderEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64)? { nil }
    func updateHighWatermark(_ offset: Int64) { state.withLockedValue { $0.highWatermark = offset } }
    func truncate(to offset: Int64) throws {}
    func deleteRecords(before offset: Int64) throws {}
    func updateConfig(_ config: LogConfig) { state.withLockedValue { $0.config = config } }
    func flush() throws {}
}
