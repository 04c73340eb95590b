import NIOCore
import SluiceBase
import Testing

@testable import KafkaProtocol

@Suite("Record batches")
struct RecordBatchTests {
    static let records: [Record] = [
        Record(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "k1"), value: ByteBuffer(string: "v1"),
               headers: [RecordHeader(key: "trace", value: ByteBuffer(bytes: [1, 2])), RecordHeader(key: "empty", value: nil)]),
        Record(timestamp: 1_700_000_000_005, key: nil, value: ByteBuffer(string: "no key")),
        Record(timestamp: 1_699_999_999_990, key: ByteBuffer(string: "tombstone"), value: nil),
        Record(timestamp: 1_700_000_000_001, key: ByteBuffer(), value: ByteBuffer(repeating: 0x5A, count: 3000)),
    ]

    static func build(_ codec: CompressionCodec, baseOffset: Int64 = 0, records: [Record] = records,
                      configure: (inout RecordBatchBuilder) -> Void = { _ in }) throws -> RecordBatch {
        var builder = RecordBatchBuilder(baseOffset: baseOffset, compression: codec)
        configure(&builder)
        for record in records { builder.append(record) }
        return try builder.build()
    }

    @Test("builder, sequence and records agree, for every codec", arguments: CompressionCodec.allCases)
    func roundTrip(codec: CompressionCodec) throws {
        let batch = try Self.build(codec, baseOffset: 100) { $0.producerId = 7; $0.producerEpoch = 1; $0.baseSequence = 40 }
        try batch.validate()
        try batch.validateProduced()
        #expect(batch.compression == codec)
        #expect(batch.recordCount == 4 && batch.lastOffsetDelta == 3 && batch.lastOffset == 103 && batch.nextOffset == 104)
        #expect(batch.baseTimestamp == 1_700_000_000_000, "the first record's timestamp")
        #expect(batch.maxTimestamp == 1_700_000_000_005)
        #expect(batch.producerId == 7 && batch.producerEpoch == 1 && batch.baseSequence == 40 && batch.lastSequence == 43)
        #expect(batch.partitionLeaderEpoch == -1 && batch.magic == 2)
        if codec != .none { #expect(batch.totalSize < 2000, "the 3000-byte value compresses") }

        // Two batches back to back, as in a produce request or a segment file.
        var set = batch.bytes
        var second = try Self.build(codec, baseOffset: 104, records: [Self.records[1]]).bytes
        set.writeBuffer(&second)
        let batches = try RecordBatchSequence.wholeBatches(set)
        #expect(batches.count == 2)
        let decoded = try batches[0].records()
        #expect(decoded.count == 4)
        for (i, record) in decoded.enumerated() {
            var expected = Self.records[i]
            expected.offset = 100 + Int64(i)
            #expect(record == expected)
        }
        #expect(try batches[1].records().map(\.offset) == [104])
    }

    @Test("the CRC catches every single bit flip in the bytes it covers")
    func crcDetectsFlips() throws {
        let batch = try Self.build(.none, records: Array(Self.records.prefix(2)))
        let bytes = batch.bytes.bytes
        for index in RecordBatch.Field.attributes..<bytes.count {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= UInt8(1) << UInt8(bit)
                let corrupt = try RecordBatch(bytes: ByteBuffer(bytes: flipped))
                #expect(throws: RecordBatchError.self, "byte \(index) bit \(bit)") { try corrupt.validate() }
            }
        }
        // A flipped CRC field is a mismatch too; the magic byte is checked before the CRC.
        var crcFlipped = bytes
        crcFlipped[RecordBatch.Field.crc + 2] ^= 0x10
        #expect(throws: RecordBatchError.crcMismatch(expected: batch.crc ^ 0x1000, actual: batch.crc)) {
            try RecordBatch(bytes: ByteBuffer(bytes: crcFlipped)).validate()
        }
        var magic = bytes
        magic[RecordBatch.Field.magic] = 1
        #expect(throws: RecordBatchError.unsupportedMagic(1)) { try RecordBatch(bytes: ByteBuffer(bytes: magic)).validate() }
    }

    @Test("base offset and leader epoch lie outside the CRC; log append time recomputes it")
    func rewrites() throws {
        var batch = try Self.build(.lz4)
        let crc = batch.crc
        batch.setBaseOffset(5000)
        batch.setPartitionLeaderEpoch(12)
        try batch.validate()
        #expect(batch.crc == crc && batch.baseOffset == 5000 && batch.partitionLeaderEpoch == 12)
        #expect(try batch.records().map(\.offset) == [5000, 5001, 5002, 5003])

        batch.setLogAppendTime(1_800_000_000_000)
        try batch.validate()
        #expect(batch.crc != crc)
        #expect(batch.attributes.timestampType == .logAppendTime)
        #expect(batch.attributes.compressionBits == CompressionCodec.lz4.rawValue, "the codec bits are kept")
        #expect(batch.maxTimestamp == 1_800_000_000_000)
        #expect(try batch.records().allSatisfy { $0.timestamp == 1_800_000_000_000 })
    }

    @Test("lastSequence wraps past Int32.max as Kafka's does")
    func sequenceWraps() throws {
        let wrapping = try Self.build(.none, records: Array(Self.records.prefix(3))) { $0.baseSequence = Int32.max - 1 }
        #expect(wrapping.lastSequence == 0)
        let atMax = try Self.build(.none, records: Array(Self.records.prefix(2))) { $0.baseSequence = Int32.max - 1 }
        #expect(atMax.lastSequence == Int32.max)
        let none = try Self.build(.none) { $0.baseSequence = -1 }
        #expect(none.lastSequence == -1)
    }

    @Test("attributes: codec, timestamp type, transactional and control bits")
    func attributes() throws {
        let batch = try Self.build(.gzip) {
            $0.isTransactional = true
            $0.timestampType = .createTime
        }
        #expect(batch.attributes.rawValue == 0x11)
        #expect(batch.isTransactional && !batch.isControl)
        var attributes = RecordBatchAttributes(compression: .zstd, timestampType: .logAppendTime, isControl: true)
        #expect(attributes.rawValue == 0x2C)
        attributes.hasDeleteHorizon = true
        #expect(attributes.rawValue == 0x6C)
    }

    @Test("validation of what a producer may send")
    func produced() throws {
        let empty = try RecordBatchBuilder().build()
        try empty.validate()
        #expect(throws: RecordBatchError.invalidRecordCount(0)) { try empty.validateProduced() }

        // A compacted batch: three offsets, one record left. Fine in a log, not from a producer.
        var bytes = try Self.build(.none, records: [Self.records[1]]).bytes
        bytes.setInteger(Int32(2), at: RecordBatch.Field.lastOffsetDelta)
        let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatch.Field.attributes...])) }
        bytes.setInteger(crc, at: RecordBatch.Field.crc)
        let compacted = try RecordBatch(bytes: bytes)
        try compacted.validate()
        #expect(throws: RecordBatchError.invalidRecordCount(1)) { try compacted.validateProduced() }
    }

    @Test("records() rejects inconsistent contents")
    func badRecords() throws {
        func patched(_ body: (inout ByteBuffer) -> Void) throws -> RecordBatch {
            var bytes = try Self.build(.none, records: Array(Self.records.prefix(2))).bytes
            body(&bytes)
            return try RecordBatch(bytes: bytes)
        }
        // One more record claimed than present; a count larger than the section could hold.
        #expect(throws: RecordBatchError.self) { try patched { $0.setInteger(Int32(3), at: RecordBatch.Field.recordCount) }.records() }
        #expect(throws: RecordBatchError.invalidRecordCount(1 << 30)) {
            try patched { $0.setInteger(Int32(1 << 30), at: RecordBatch.Field.recordCount) }.records()
        }
        #expect(throws: RecordBatchError.invalidRecordCount(-1)) {
            try patched { $0.setInteger(Int32(-1), at: RecordBatch.Field.recordCount) }.records()
        }
        // Fewer records claimed than present: bytes left over.
        #expect(throws: RecordBatchError.self) { try patched { $0.setInteger(Int32(1), at: RecordBatch.Field.recordCount) }.records() }
        // An unknown codec (6).
        #expect(throws: RecordBatchError.unknownCompression(6)) { try patched { $0.setInteger(Int16(6), at: RecordBatch.Field.attributes) }.records() }
        // A compressed batch whose data is not of its codec.
        #expect(throws: RecordBatchError.self) { try patched { $0.setInteger(Int16(3), at: RecordBatch.Field.attributes) }.records() }
    }

    @Test("RecordBatch(bytes:) requires exactly one batch")
    func initChecks() throws {
        let bytes = try Self.build(.none).bytes
        #expect(throws: RecordBatchError.truncated(available: 60)) { try RecordBatch(bytes: bytes.getSlice(at: 0, length: 60)!) }
        #expect(throws: RecordBatchError.self) { try RecordBatch(bytes: bytes.getSlice(at: 0, length: bytes.readableBytes - 1)!) }
        var longer = bytes
        longer.writeInteger(UInt8(0))
        #expect(throws: RecordBatchError.self) { try RecordBatch(bytes: longer) }
    }
}
