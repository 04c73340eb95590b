import KafkaProtocol

/// The key of an offset commit record in `__consumer_offsets`, in Kafka's layout (its
/// `OffsetCommitKey` schema, written by hand):
///
/// | field | type | note |
/// |---|---|---|
/// | version | int16 | 0 or 1 (same layout); Kafka and Sluice write 1 |
/// | group | string | int16 length + UTF-8 |
/// | topic | string | |
/// | partition | int32 | |
///
/// Burrow and other lag tools read these keys straight from the topic.
public struct OffsetCommitKey: Hashable, Sendable {
    /// The key versions that mean "offset commit" (Kafka wrote 0 before 0.10, 1 since).
    public static let versions: ClosedRange<Int16> = 0...1
    public static let writtenVersion: Int16 = 1

    public var group: String
    public var topic: String
    public var partition: Int32

    public init(group: String, topic: String, partition: Int32) {
        self.group = group
        self.topic = topic
        self.partition = partition
    }

    /// Reads the fields after the version prefix.
    init(fieldsFrom reader: inout WireReader) throws {
        group = try reader.readString(compact: false, field: "group")
        topic = try reader.readString(compact: false, field: "topic")
        partition = try reader.readInt32()
    }

    /// Writes the version prefix and the fields.
    func encode(to writer: inout WireWriter) {
        writer.writeInt16(Self.writtenVersion)
        writer.writeString(group, compact: false)
        writer.writeString(topic, compact: false)
        writer.writeInt32(partition)
    }
}
