import KafkaProtocol
import NIOCore
import Testing

@testable import SluiceBroker

/// KIP-848's `__consumer_offsets` records, checked against bytes written by hand from Kafka's
/// `ConsumerGroup*Key`/`ConsumerGroup*Value` schemas (keys: int16 version + int16-length strings;
/// values: version 0, flexible — compact strings and arrays, a tagged-field section per struct).
@Suite struct ConsumerGroupRecordCodecTests {
    private func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }
    private func str(_ s: String) -> [UInt8] { [UInt8(s.utf8.count >> 8), UInt8(s.utf8.count & 0xff)] + Array(s.utf8) }
    private func compact(_ s: String) -> [UInt8] { [UInt8(s.utf8.count + 1)] + Array(s.utf8) }
    private func i16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private func i32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private func uuid(_ id: KafkaUUID) -> [UInt8] {
        withUnsafeBytes(of: id.high.bigEndian, Array.init) + withUnsafeBytes(of: id.low.bigEndian, Array.init)
    }

    @Test func groupEpochRecordIsKeyVersionThree() throws {
        let record = CoordinatorRecord.consumerGroup(.groupMetadata(group: "g", ConsumerGroupMetadataValue(epoch: 5)))
        let key = i16(3) + str("g")
        let value = i16(0) + i32(5) + [0]
        #expect(record.keyBytes == bytes(key))
        #expect(record.valueBytes == bytes(value))
        #expect(try CoordinatorRecord(key: bytes(key), value: bytes(value)) == record)
        #expect(try CoordinatorRecord(key: bytes(key), value: nil) == .consumerGroup(.groupMetadata(group: "g", nil)))
    }

    @Test func memberMetadataRecordIsKeyVersionFive() throws {
        let value = ConsumerGroupMemberMetadataValue(clientId: "c", clientHost: "/h", subscribedTopicNames: ["t"],
                                                     rebalanceTimeoutMs: 3000, serverAssignor: "range")
        let record = CoordinatorRecord.consumerGroup(.memberMetadata(group: "g", member: "m", value))
        let key = i16(5) + str("g") + str("m")
        // instance id and rack id null (compact null = 0), client id, host, one topic, no regex,
        // rebalance timeout, assignor, no tagged fields.
        let expected = i16(0) + [0, 0] + compact("c") + compact("/h") + [2] + compact("t") + [0] + i32(3000)
            + compact("range") + [0]
        #expect(record.keyBytes == bytes(key))
        #expect(record.valueBytes == bytes(expected))
        #expect(try CoordinatorRecord(key: bytes(key), value: bytes(expected)) == record)
        // Kafka's tag 0 (a classic member's protocols) is skipped.
        let withTag = i16(0) + [0, 0] + compact("c") + compact("/h") + [2] + compact("t") + [0] + i32(3000)
            + compact("range") + [1, 0, 2, 9, 9]
        #expect(try CoordinatorRecord(key: bytes(key), value: bytes(withTag)) == record)
    }

    @Test func currentAssignmentRecordIsKeyVersionEight() throws {
        let t = KafkaUUID(high: 1, low: 2)
        let value = ConsumerGroupCurrentMemberAssignmentValue(
            memberEpoch: 3, previousMemberEpoch: 2, state: 1, assignedPartitions: TopicPartitionSet([(t, Int32(0)), (t, Int32(1))]),
            partitionsPendingRevocation: .empty)
        let record = CoordinatorRecord.consumerGroup(.currentAssignment(group: "g", member: "m", value))
        let key = i16(8) + str("g") + str("m")
        let expected = i16(0) + i32(3) + i32(2) + [1] + [2] + uuid(t) + [3] + i32(0) + i32(1) + [0] + [1] + [0]
        #expect(record.keyBytes == bytes(key))
        #expect(record.valueBytes == bytes(expected))
        #expect(try CoordinatorRecord(key: bytes(key), value: bytes(expected)) == record)
    }

    @Test func partitionMetadataAndTargetRecordsRoundTrip() throws {
        let t = KafkaUUID(high: 7, low: 8)
        let records: [CoordinatorRecord] = [
            .consumerGroup(.partitionMetadata(group: "g", ConsumerGroupPartitionMetadataValue(topics: [
                .init(topicId: t, topicName: "orders", numPartitions: 6),
            ]))),
            .consumerGroup(.targetAssignmentMetadata(group: "g", ConsumerGroupTargetAssignmentMetadataValue(assignmentEpoch: 4))),
            .consumerGroup(.targetAssignmentMember(group: "g", member: "m",
                                                   ConsumerGroupTargetAssignmentMemberValue(partitions: TopicPartitionSet([(t, Int32(5))])))),
            .consumerGroup(.targetAssignmentMember(group: "g", member: "m", nil)),
        ]
        #expect(records.map { $0.keyBytes.getInteger(at: 0, as: Int16.self) } == [4, 6, 7, 7])
        let batch = try CoordinatorRecord.batch(records, timestamp: 1)
        #expect(try CoordinatorRecord.decode([batch]) == records)
        // The partition metadata value: one topic (id, name, count, no racks, tags), tags.
        let expected = i16(0) + [2] + uuid(t) + compact("orders") + i32(6) + [1] + [0] + [0]
        #expect(records[0].valueBytes == bytes(expected))
    }
}
