import KafkaProtocol
@testable import SluiceStorage

/// The simple in-memory log the simulation checks the disk log against: batches as offset
/// ranges holding records, the log start, end and high watermark.
struct LogModel {
    struct Rec: Equatable, CustomStringConvertible {
        var offset: Int64
        var key: String
        var value: String?
        var description: String { "\(offset):\(key)=\(value ?? "∅")" }
    }

    struct Batch: Equatable {
        var base: Int64
        var last: Int64
        var records: [Rec]
        var producerSequence: Int32?
    }

    var batches: [Batch] = []
    var logStart: Int64 = 0
    var logEnd: Int64 = 0
    var highWatermark: Int64 = 0

    mutating func appended(_ records: [Rec], base: Int64, sequence: Int32?) {
        batches.append(Batch(base: base, last: base + Int64(records.count) - 1, records: records, producerSequence: sequence))
        logEnd = base + Int64(records.count)
    }

    /// Follower truncation: the batch holding `offset` goes whole.
    mutating func truncate(to offset: Int64) {
        guard offset < logEnd else { return }
        if offset < logStart {
            batches = []
            logStart = offset
            logEnd = offset
        } else {
            let cut = batches.firstIndex { $0.last >= offset }
            logEnd = cut.map { batches[$0].base } ?? offset
            if let cut { batches.removeSubrange(cut...) }
        }
        // A cut through the batch holding the log start moves the start back to the new end.
        logStart = min(logStart, logEnd)
        highWatermark = max(min(highWatermark, logEnd), logStart)
    }

    /// What a read from `offset` must return (all of it, without a byte limit).
    func expectedRead(from offset: Int64, maxOffset: Int64) -> [Batch] {
        batches.filter { $0.last >= offset && $0.last < maxOffset && $0.last >= logStart }
    }

    /// The latest record of each key (tombstones included).
    var latestByKey: [String: Rec] {
        var out: [String: Rec] = [:]
        for b in batches { for r in b.records { out[r.key] = r } }
        return out
    }

    var lastProducerBatch: Batch? { batches.last { $0.producerSequence != nil } }
}

extension LogModel.Batch {
    /// The model form of a batch read from the disk log.
    init(_ batch: RecordBatch) throws {
        self.init(base: batch.baseOffset, last: batch.lastOffset,
                  records: try batch.records().map { LogModel.Rec(offset: $0.offset, key: $0.key!.string, value: $0.value?.string) },
                  producerSequence: batch.hasProducerId ? batch.baseSequence : nil)
    }
}
