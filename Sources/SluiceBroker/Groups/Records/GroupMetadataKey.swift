import KafkaProtocol

/// The key of a group metadata record in `__consumer_offsets` (Kafka's `GroupMetadataKey`):
/// int16 version 2, then the group id as an int16-length string.
public struct GroupMetadataKey: Hashable, Sendable {
    public static let version: Int16 = 2

    public var group: String

    public init(group: String) {
        self.group = group
    }

    init(fieldsFrom reader: inout WireReader) throws {
        group = try reader.readString(compact: false, field: "group")
    }

    func encode(to writer: inout WireWriter) {
        writer.writeInt16(Self.version)
        writer.writeString(group, compact: false)
    }
}
