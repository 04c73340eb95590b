import NIOCore
import Testing

@testable import KafkaProtocol

@Suite("Record batch sequences")
struct RecordBatchSequenceTests {
    private func set(_ batches: Int) throws -> ByteBuffer {
        var out = ByteBuffer()
        for i in 0..<batches {
            var batch = try RecordBatchTests.build(.none, baseOffset: Int64(i * 4)).bytes
            out.writeBuffer(&batch)
        }
        return out
    }

    @Test("a partial trailing batch (a fetch cut at its size limit) ends iteration without error")
    func partialTail() throws {
        let whole = try set(3)
        let batchSize = whole.readableBytes / 3
        for cut in [1, 11, 12, 60, 61, batchSize - 1] {
            var sequence = RecordBatchSequence(whole.getSlice(at: 0, length: 2 * batchSize + cut)!)
            var seen: [Int64] = []
            while let batch = sequence.next() { seen.append(batch.baseOffset) }
            #expect(seen == [0, 4], "cut \(cut)")
            #expect(sequence.error == nil)
            #expect(sequence.trailingBytes == cut)
            #expect(throws: RecordBatchError.truncated(available: cut)) {
                _ = try RecordBatchSequence.wholeBatches(whole.getSlice(at: 0, length: 2 * batchSize + cut)!)
            }
        }
        #expect(try RecordBatchSequence.wholeBatches(whole).count == 3)
        #expect(try RecordBatchSequence.wholeBatches(ByteBuffer()).isEmpty)
    }

    @Test("an impossible length field is a structural error")
    func structural() throws {
        var bytes = try set(2)
        let batchSize = bytes.readableBytes / 2
        bytes.setInteger(Int32(10), at: batchSize + RecordBatch.Field.batchLength)  // shorter than a header
        var sequence = RecordBatchSequence(bytes)
        #expect(sequence.next() != nil)
        #expect(sequence.next() == nil)
        #expect(sequence.error == .invalidLength(10))
        #expect(sequence.next() == nil, "iteration stays ended")
        #expect(throws: RecordBatchError.invalidLength(10)) { _ = try RecordBatchSequence.wholeBatches(bytes) }

        bytes.setInteger(Int32(-5), at: batchSize + RecordBatch.Field.batchLength)
        #expect(throws: RecordBatchError.invalidLength(-5)) { _ = try RecordBatchSequence.wholeBatches(bytes) }
    }

    @Test("batches are slices of the record set, not copies")
    func slices() throws {
        let whole = try set(2)
        let batches = try RecordBatchSequence.wholeBatches(whole)
        #expect(batches.map(\.totalSize).reduce(0, +) == whole.readableBytes)
        #expect(batches[1].bytes == whole.getSlice(at: batches[0].totalSize, length: batches[1].totalSize))
    }
}
