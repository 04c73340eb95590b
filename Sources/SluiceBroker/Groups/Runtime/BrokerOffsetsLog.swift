import Foundation
import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceStorage

/// `__consumer_offsets` as the broker holds it: appends go through ``ReplicaManager/append``, the
/// produce path (the partition's append queue, batch validation, the high watermark, waking
/// fetches), so readers of the topic such as Burrow see commits as they are made.
/// The transaction coordinator keeps `__transaction_state` the same way (`topic`).
struct BrokerOffsetsLog: OffsetsLog {
    let replicas: ReplicaManager
    let metadata: MetadataManager
    /// Where append futures complete.
    let eventLoop: any EventLoop
    /// The coordinator's topic: `__consumer_offsets` or `__transaction_state`.
    var topic: String = OffsetsTopic.name

    /// Bytes read per step while loading.
    static let loadChunkBytes = 4 << 20

    func append(_ batch: RecordBatch, toPartition partition: Int32,
                completion: @escaping @Sendable (ErrorCode) -> Void) {
        guard let image = metadata.topic(topic), partition >= 0, Int(partition) < image.partitions.count else {
            completion(.unknownTopicOrPartition)
            return
        }
        // acks=all, as Kafka's `offsets.commit.required.acks`, within `offsets.commit.timeout.ms`;
        // the coordinator's origin, as in Kafka (transactional offset commits carry no sequence).
        replicas.append(batch.bytes, to: TopicPartition(topic, partition), requiredAcks: -1,
                        timeoutMs: 5_000, origin: .coordinator, on: eventLoop).whenComplete { result in
            switch result {
            case .success(.success): completion(.noError)
            case let .success(.failure(error)): completion(error.code)
            case .failure: completion(.unknownServerError)
            }
        }
    }

    func readAll(partition: Int32) throws -> [RecordBatch] {
        let tp = TopicPartition(topic, partition)
        guard let log = replicas.logs.log(for: tp) else {
            throw ApiError(.unknownTopicOrPartition, "no log for \(tp)")
        }
        let end = log.logEndOffset
        var offset = log.logStartOffset
        var batches: [RecordBatch] = []
        while offset < end {
            let result = try log.read(from: offset, maxBytes: Self.loadChunkBytes, maxOffset: end, minOneBatch: true)
            defer { result.release() }
            var sequence = RecordBatchSequence(try Self.bytes(of: result.records))
            var found: [RecordBatch] = []
            while let batch = sequence.next() { found.append(batch) }
            if let error = sequence.error { throw error }
            guard let last = found.last, last.nextOffset > offset else { break }
            batches += found
            offset = last.nextOffset
        }
        return batches
    }

    /// A read's records as bytes in memory (file regions are read with pread).
    static func bytes(of records: RecordsPayload) throws -> ByteBuffer {
        switch records {
        case let .bytes(bytes):
            return bytes
        case let .file(region):
            let count = region.readableBytes
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                try region.fileHandle.withUnsafeFileDescriptor { fd in
                    var done = 0
                    while done < count {
                        let n = pread(fd, pointer.baseAddress! + done, count - done, off_t(region.readerIndex + done))
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { throw StorageError.io("pread", path: OffsetsTopic.name, errno: errno) }
                        done += n
                    }
                    return count
                }
            }
            return buffer
        case let .concatenation(parts):
            var buffer = ByteBuffer()
            for part in parts {
                var bytes = try bytes(of: part)
                buffer.writeBuffer(&bytes)
            }
            return buffer
        }
    }
}
