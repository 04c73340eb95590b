import NIOCore
import SluiceBase
import Testing

@testable import KafkaProtocol

/// Record batches built offline by kafka-python's and aiokafka's batch builders with every codec
/// (Fixtures/batches/make_record_batches.py): header fields, CRC, and records after decompression.
@Suite("Golden record batches from Python clients")
struct GoldenRecordBatchTests {
    /// The script's RECORDS.
    static let records: [Record] = [
        Record(offset: 0, timestamp: 1_700_000_000_000, key: ByteBuffer(string: "key-0"),
               value: ByteBuffer(string: String(repeating: "value-0 ", count: 16)),
               headers: [RecordHeader(key: "trace-id", value: ByteBuffer(string: "abc123"))]),
        Record(offset: 1, timestamp: 1_700_000_000_007, key: nil, value: ByteBuffer(string: String(repeating: "no key, ", count: 16))),
        Record(offset: 2, timestamp: 1_699_999_999_990, key: ByteBuffer(string: "tombstone"), value: nil,
               headers: [RecordHeader(key: "h-null", value: nil), RecordHeader(key: "h-empty", value: ByteBuffer())]),
        Record(offset: 3, timestamp: 1_700_000_000_123, key: ByteBuffer(), value: ByteBuffer(bytes: (0...255).map { UInt8($0) })),
    ]

    static let files: [(file: String, codec: CompressionCodec)] = ["kafka-python", "aiokafka"].flatMap { library in
        CompressionCodec.allCases.map { ("\(library)-\($0).batch", $0) }
    }

    @Test("header fields, CRC and records", arguments: files)
    func decode(file: String, codec: CompressionCodec) throws {
        let bytes = try Fixtures.buffer("batches/\(file)")
        let batch = try RecordBatch(bytes: bytes)
        try batch.validateProduced()
        #expect(batch.baseOffset == 0)
        #expect(Int(batch.batchLength) == bytes.readableBytes - 12)
        // kafka-python writes 0 where aiokafka (like Java) writes -1; the leader overwrites it anyway.
        #expect(batch.partitionLeaderEpoch == (file.hasPrefix("kafka-python") ? 0 : -1))
        #expect(batch.magic == 2)
        #expect(batch.compression == codec)
        #expect(batch.attributes.timestampType == .createTime && !batch.isTransactional && !batch.isControl)
        #expect(batch.lastOffsetDelta == 3 && batch.recordCount == 4)
        #expect(batch.baseTimestamp == 1_700_000_000_000 && batch.maxTimestamp == 1_700_000_000_123)
        #expect(batch.producerId == -1 && batch.producerEpoch == -1 && batch.baseSequence == -1)

        // The CRC the Python library computed, against both of our implementations.
        let covered = bytes.getSlice(at: RecordBatch.Field.attributes, length: bytes.readableBytes - RecordBatch.Field.attributes)!
        #expect(batch.crc == CRC32C.checksum(covered))
        #expect(batch.crc == covered.withUnsafeReadableBytes { CRC32C.portableChecksum($0) })

        #expect(try batch.records() == Self.records)
    }

    @Test("an uncompressed batch is encoded canonically: our builder writes the same bytes")
    func canonical() throws {
        for (file, epoch) in [("kafka-python-none.batch", Int32(0)), ("aiokafka-none.batch", -1)] {
            var builder = RecordBatchBuilder()
            builder.partitionLeaderEpoch = epoch
            for record in Self.records { builder.append(record) }
            #expect(try builder.build().bytes == Fixtures.buffer("batches/\(file)"), "\(file)")
        }
        var builder = RecordBatchBuilder(producerId: 4242, producerEpoch: 3, baseSequence: 17, isTransactional: true)
        builder.partitionLeaderEpoch = 0
        for record in Self.records { builder.append(record) }
        let expected = try Fixtures.buffer("batches/kafka-python-none-transactional.batch")
        #expect(try builder.build().bytes == expected)

        let transactional = try RecordBatch(bytes: expected)
        try transactional.validate()
        #expect(transactional.isTransactional && transactional.producerId == 4242 && transactional.producerEpoch == 3)
        #expect(transactional.baseSequence == 17 && transactional.lastSequence == 20)
        #expect(transactional.crc == 0xDEBE_F271)
    }
}
