import NIOCore

/// The batches of a record set, in order, as slices of it.
///
/// A fetch response may end in a partial batch (the broker cut the read at a size limit); that
/// tail is not an error here: iteration stops and ``trailingBytes`` says how much was left.
/// Structural errors (an impossible length) end iteration with ``error``.
///
/// ```swift
/// for batch in RecordBatchSequence(payload) { try batch.validate(); ... }
/// ```
public struct RecordBatchSequence: Sequence, IteratorProtocol {
    private var remaining: ByteBuffer
    public private(set) var error: RecordBatchError?

    public init(_ records: ByteBuffer) {
        self.remaining = records
    }

    /// Bytes not consumed by the batches returned so far (a partial batch, or bytes after an error).
    public var trailingBytes: Int { remaining.readableBytes }

    public mutating func next() -> RecordBatch? {
        guard error == nil else { return nil }
        do {
            guard let size = try RecordBatch.peekSize(remaining), size <= remaining.readableBytes else { return nil }
            let slice = remaining.readSlice(length: size)!
            return try RecordBatch(bytes: slice)
        } catch let e as RecordBatchError {
            error = e
            return nil
        } catch {
            self.error = .invalidLength(-1)
            return nil
        }
    }

    /// Splits a produce request's record set into batches, requiring that it is made of whole,
    /// valid batches (the broker's check before appending).
    public static func wholeBatches(_ records: ByteBuffer) throws -> [RecordBatch] {
        var sequence = RecordBatchSequence(records)
        var batches: [RecordBatch] = []
        while let batch = sequence.next() { batches.append(batch) }
        if let error = sequence.error { throw error }
        if sequence.trailingBytes > 0 { throw RecordBatchError.truncated(available: sequence.trailingBytes) }
        return batches
    }
}
