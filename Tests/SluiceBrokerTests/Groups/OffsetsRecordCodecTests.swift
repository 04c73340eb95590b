import KafkaProtocol
import NIOCore
import Testing

@testable import SluiceBroker

/// The `__consumer_offsets` record layouts, checked against bytes written by hand from Kafka's
/// `OffsetCommitKey`/`OffsetCommitValue`/`GroupMetadataKey`/`GroupMetadataValue` schemas.
@Suite struct OffsetsRecordCodecTests {
    private func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }
    private func str(_ s: String) -> [UInt8] { [UInt8(s.utf8.count >> 8), UInt8(s.utf8.count & 0xff)] + Array(s.utf8) }
    private func i16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private func i32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private func i64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

    @Test func offsetCommitKeyIsVersionOneGroupTopicPartition() throws {
        let record = CoordinatorRecord.offsetCommit(OffsetCommitKey(group: "g1", topic: "orders", partition: 7), nil)
        let expected = i16(1) + str("g1") + str("orders") + i32(7)
        #expect(record.keyBytes == bytes(expected))
        #expect(record.valueBytes == nil)
        #expect(try CoordinatorRecord(key: bytes(expected), value: nil) == record)
        // Key version 0 has the same layout.
        let v0 = i16(0) + str("g1") + str("orders") + i32(7)
        #expect(try CoordinatorRecord(key: bytes(v0), value: nil) == record)
    }

    @Test func offsetCommitValueVersion3CarriesTheLeaderEpoch() throws {
        let value = OffsetCommitValue(offset: 42, leaderEpoch: 5, metadata: "meta", commitTimestamp: 1_700_000_000_000)
        let expected = i16(3) + i64(42) + i32(5) + str("meta") + i64(1_700_000_000_000)
        #expect(value.encoded() == bytes(expected))
        #expect(try OffsetCommitValue(bytes: bytes(expected)) == value)
    }

    @Test func offsetCommitValueVersion1CarriesTheExpireTimestamp() throws {
        let value = OffsetCommitValue(offset: 9, metadata: "", commitTimestamp: 100, expireTimestamp: 200)
        let expected = i16(1) + i64(9) + str("") + i64(100) + i64(200)
        #expect(value.encoded() == bytes(expected))
        #expect(try OffsetCommitValue(bytes: bytes(expected)) == value)
    }

    @Test func olderAndFlexibleOffsetValuesDecode() throws {
        let v0 = i16(0) + i64(9) + str("m") + i64(100)
        #expect(try OffsetCommitValue(bytes: bytes(v0)) == OffsetCommitValue(offset: 9, metadata: "m", commitTimestamp: 100))
        let v2 = i16(2) + i64(9) + str("m") + i64(100)
        #expect(try OffsetCommitValue(bytes: bytes(v2)) == OffsetCommitValue(offset: 9, metadata: "m", commitTimestamp: 100))
        // Version 4: compact string (length + 1 as a varint), then an empty tagged-field section.
        let v4 = i16(4) + i64(9) + i32(3) + [2] + Array("m".utf8) + i64(100) + [0]
        #expect(try OffsetCommitValue(bytes: bytes(v4))
                == OffsetCommitValue(offset: 9, leaderEpoch: 3, metadata: "m", commitTimestamp: 100))
    }

    @Test func groupMetadataRecordIsKeyVersionTwoAndValueVersionThree() throws {
        let member = GroupMetadataValue.Member(
            memberId: "m-1", groupInstanceId: nil, clientId: "c", clientHost: "/1.2.3.4", rebalanceTimeoutMs: 300,
            sessionTimeoutMs: 100, subscription: .text("sub"), assignment: .text("as"))
        let value = GroupMetadataValue(protocolType: "consumer", generation: 4, protocolName: "range", leader: "m-1",
                                       currentStateTimestamp: 77, members: [member])
        let record = CoordinatorRecord.groupMetadata(GroupMetadataKey(group: "g"), value)
        #expect(record.keyBytes == bytes(i16(2) + str("g")))
        let expectedValue = i16(3) + str("consumer") + i32(4) + str("range") + str("m-1") + i64(77) + i32(1)
            + str("m-1") + i16(-1) + str("c") + str("/1.2.3.4") + i32(300) + i32(100)
            + i32(3) + Array("sub".utf8) + i32(2) + Array("as".utf8)
        #expect(record.valueBytes == bytes(expectedValue))
        #expect(try CoordinatorRecord(key: record.keyBytes, value: bytes(expectedValue)) == record)
    }

    @Test func groupMetadataVersionZeroUsesTheSessionTimeoutAsRebalanceTimeout() throws {
        let v0 = i16(0) + str("consumer") + i32(1) + i16(-1) + i16(-1) + i32(1)
            + str("m") + str("c") + str("h") + i32(100) + i32(0) + i32(0)
        let value = try GroupMetadataValue(bytes: bytes(v0))
        #expect(value.protocolName == nil && value.leader == nil && value.currentStateTimestamp == -1)
        #expect(value.members.first?.rebalanceTimeoutMs == 100)
        #expect(value.members.first?.sessionTimeoutMs == 100)
    }

    @Test func malformedRecordsThrowAndUnknownKeysAreSkipped() throws {
        #expect(throws: (any Error).self) { try CoordinatorRecord(key: self.bytes(self.i16(1) + [0, 5, 65]), value: nil) }
        #expect(throws: (any Error).self) { try CoordinatorRecord(key: nil, value: nil) }
        #expect(throws: (any Error).self) {
            try CoordinatorRecord(key: self.bytes(self.i16(1) + self.str("g") + self.str("t") + self.i32(0)),
                                  value: self.bytes(self.i16(3) + [1, 2]))
        }
        // A share group record (key version 9): not known, skipped. A consumer group record (key
        // version 3) whose value is cut short throws.
        #expect(try CoordinatorRecord(key: bytes(i16(9) + str("g")), value: bytes([0, 0])) == nil)
        #expect(throws: (any Error).self) { try CoordinatorRecord(key: self.bytes(self.i16(3) + self.str("g")), value: self.bytes([0, 0])) }
    }

    @Test func recordsSurviveABatch() throws {
        let records: [CoordinatorRecord] = [
            .offsetCommit(OffsetCommitKey(group: "g", topic: "t", partition: 0),
                          OffsetCommitValue(offset: 1, commitTimestamp: 5)),
            .offsetCommit(OffsetCommitKey(group: "g", topic: "t", partition: 1), nil),
            .groupMetadata(GroupMetadataKey(group: "g"), nil),
        ]
        let batch = try CoordinatorRecord.batch(records, timestamp: 123)
        try batch.validate()
        #expect(batch.recordCount == 3 && batch.maxTimestamp == 123 && batch.compression == CompressionCodec.none)
        #expect(try CoordinatorRecord.decode([batch]) == records)
    }

    @Test(arguments: [
        ("", 0, Int32(0)), ("a", 97, 47), ("my-group", -1_906_497_762, 12), ("test-group", 627_841_412, 12),
        ("polygenelubricants", Int32.min, 0), ("groupé", -1_237_460_406, 6), ("😀grp", 1_276_929_186, 36),
    ] as [(String, Int32, Int32)])
    func groupsMapToKafkasPartitions(group: String, hash: Int32, partition: Int32) {
        #expect(OffsetsTopic.javaStringHashCode(group) == hash)
        #expect(OffsetsTopic.partition(for: group, partitionCount: 50) == partition)
    }
}
