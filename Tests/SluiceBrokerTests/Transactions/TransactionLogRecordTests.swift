import KafkaProtocol
import NIOCore
import Testing

@testable import SluiceBroker

/// The `__transaction_state` record layouts, checked against bytes written by hand from Kafka's
/// `TransactionLogKey`/`TransactionLogValue` schemas, and the partition of a transactional id.
@Suite struct TransactionLogRecordTests {
    private func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }
    private func str(_ s: String) -> [UInt8] { [UInt8(s.utf8.count >> 8), UInt8(s.utf8.count & 0xff)] + Array(s.utf8) }
    private func i16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private func i32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private func i64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

    @Test func keyIsVersionZeroAndTheTransactionalId() throws {
        let key = TransactionLogKey(transactionalId: "txn-1")
        let expected = i16(0) + str("txn-1")
        #expect(key.encoded() == bytes(expected))
        #expect(try TransactionLogKey(bytes: bytes(expected)) == key)
        #expect(throws: WireError.self) { try TransactionLogKey(bytes: self.bytes(i16(1) + str("x"))) }
    }

    @Test func valueVersionZeroRoundTrips() throws {
        let value = TransactionLogValue(
            producerId: 1_000, producerEpoch: 2, transactionTimeoutMs: 60_000, status: .ongoing,
            partitions: [.init(topic: "t", partitionIds: [0, 1])], lastUpdateTimestampMs: 5, startTimestampMs: 4)
        let expected = i16(0) + i64(1_000) + i16(2) + i32(60_000) + [1]
            + i32(1) + str("t") + i32(2) + i32(0) + i32(1) + i64(5) + i64(4)
        #expect(value.encoded() == bytes(expected))
        #expect(try TransactionLogValue(bytes: bytes(expected)) == value)

        // No partitions: Kafka writes a null array (length -1).
        let empty = TransactionLogValue(producerId: 7, producerEpoch: 0, transactionTimeoutMs: 100, status: .completeCommit,
                                        lastUpdateTimestampMs: 9, startTimestampMs: -1)
        let nullArray = i16(0) + i64(7) + i16(0) + i32(100) + [4] + i32(-1) + i64(9) + i64(-1)
        #expect(empty.encoded() == bytes(nullArray))
        #expect(try TransactionLogValue(bytes: bytes(nullArray)) == empty)
    }

    @Test func valueVersionOneIsFlexibleWithTaggedProducerIds() throws {
        // Compact array/strings (length + 1), a struct's empty tagged fields, then tag 1
        // (next_producer_id) of 8 bytes at the end.
        let encoded = i16(1) + i64(1_000) + i16(3) + i32(60_000) + [2]
            + [2] + [2] + Array("t".utf8) + [2] + i32(4) + [0]
            + i64(5) + i64(4)
            + [1, 1, 8] + i64(77)
        let value = try TransactionLogValue(bytes: bytes(encoded))
        #expect(value.producerId == 1_000 && value.producerEpoch == 3 && value.status == .prepareCommit)
        #expect(value.partitions == [.init(topic: "t", partitionIds: [4])])
        #expect(value.nextProducerId == 77 && value.previousProducerId == -1)
        #expect(value.lastUpdateTimestampMs == 5 && value.startTimestampMs == 4)
        #expect(throws: WireError.self) { try TransactionLogValue(bytes: self.bytes(i16(0) + i64(1) + i16(0) + i32(1) + [9])) }
    }

    /// Java's `"hello".hashCode()` is 99162322; `"polygenelubricants".hashCode()` is
    /// `Integer.MIN_VALUE`, which Kafka's `Utils.abs` maps to 0.
    @Test func partitionIsKafkasAbsOfJavasHashCode() {
        #expect(TransactionStateTopic.partition(for: "hello", partitionCount: 50) == 99_162_322 % 50)
        #expect(OffsetsTopic.javaStringHashCode("polygenelubricants") == Int32.min)
        #expect(TransactionStateTopic.partition(for: "polygenelubricants", partitionCount: 50) == 0)
        #expect(TransactionStateTopic.partition(for: "", partitionCount: 50) == 0)
    }
}
