import Dispatch
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

@testable import SluiceBroker

/// `__consumer_offsets` in memory: appends complete asynchronously on a queue, like the broker's.
/// Thread-safe: the batches are behind a lock.
final class InMemoryOffsetsLog: OffsetsLog {
    private let batches = NIOLockedValueBox<[Int32: [RecordBatch]]>([:])
    private let queue = DispatchQueue(label: "in-memory-offsets-log")
    /// When set, appends fail with this error.
    let failure = NIOLockedValueBox<ErrorCode?>(nil)

    func append(_ batch: RecordBatch, toPartition partition: Int32, completion: @escaping @Sendable (ErrorCode) -> Void) {
        queue.async { [self] in
            if let error = failure.withLockedValue({ $0 }) {
                completion(error)
                return
            }
            batches.withLockedValue { all in
                var batch = batch
                let next = all[partition]?.last?.nextOffset ?? 0
                batch.setBaseOffset(next)
                all[partition, default: []].append(batch)
            }
            completion(.noError)
        }
    }

    func readAll(partition: Int32) throws -> [RecordBatch] {
        batches.withLockedValue { $0[partition] ?? [] }
    }

    func records(_ partition: Int32) -> [CoordinatorRecord] {
        (try? CoordinatorRecord.decode(readAll(partition: partition))) ?? []
    }
}
