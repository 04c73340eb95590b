import KafkaProtocol
import NIOCore
import SluiceBase

/// The consumer protocol's member metadata (subscription) and assignment, as the classic group
/// protocol carries them: an int16 version, then the generated struct at that version.
///
/// This client writes version 0 (topics and user data), which every client can read, and reads
/// any version: a version newer than the generated code knows is read with the newest known
/// layout (later versions only add fields at the end), as Kafka's own `ConsumerProtocol` does.
public enum ConsumerProtocolCodec {
    public static let subscriptionVersion: Int16 = 0
    public static let assignmentVersion: Int16 = 0
    static let newestKnownVersion: Int16 = 3

    public static func encodeSubscription(topics: [String], userData: ByteBuffer? = nil) -> ByteBuffer {
        var writer = WireWriter(capacity: 64)
        writer.writeInt16(subscriptionVersion)
        ConsumerProtocolSubscription(topics: topics.sorted(), userData: userData).encode(to: &writer, version: subscriptionVersion)
        return writer.buffer
    }

    public static func decodeSubscription(_ bytes: ByteBuffer) throws -> ConsumerProtocolSubscription {
        var reader = WireReader(bytes)
        let version = try reader.readInt16()
        guard version >= 0 else { throw WireError.invalidValue("negative subscription version \(version)") }
        return try ConsumerProtocolSubscription(from: &reader, version: min(version, newestKnownVersion))
    }

    public static func encodeAssignment(_ partitions: [TopicPartition], userData: ByteBuffer? = nil) -> ByteBuffer {
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let assigned = byTopic.keys.sorted().map {
            ConsumerProtocolAssignment.TopicPartition(topic: $0, partitions: byTopic[$0]!.sorted())
        }
        var writer = WireWriter(capacity: 64)
        writer.writeInt16(assignmentVersion)
        ConsumerProtocolAssignment(assignedPartitions: assigned, userData: userData).encode(to: &writer, version: assignmentVersion)
        return writer.buffer
    }

    /// The partitions of an assignment; an empty byte string (a member given nothing) is no partitions.
    public static func decodeAssignment(_ bytes: ByteBuffer) throws -> [TopicPartition] {
        guard bytes.readableBytes > 0 else { return [] }
        var reader = WireReader(bytes)
        let version = try reader.readInt16()
        guard version >= 0 else { throw WireError.invalidValue("negative assignment version \(version)") }
        let assignment = try ConsumerProtocolAssignment(from: &reader, version: min(version, newestKnownVersion))
        return assignment.assignedPartitions.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } }
    }
}
