import KafkaProtocol
import NIOCore

/// One of KIP-848's consumer group records in `__consumer_offsets`, as Kafka writes them; a nil
/// value is a tombstone. The key is Kafka's layout (not flexible): an int16 version naming the
/// record kind, the group id, and for per-member records the member id, as int16-length strings.
///
/// | key version | record | per |
/// |---|---|---|
/// | 3 | `ConsumerGroupMetadata` (group epoch) | group |
/// | 4 | `ConsumerGroupPartitionMetadata` (subscribed topics) | group |
/// | 5 | `ConsumerGroupMemberMetadata` (subscription, client) | member |
/// | 6 | `ConsumerGroupTargetAssignmentMetadata` (assignment epoch) | group |
/// | 7 | `ConsumerGroupTargetAssignmentMember` (target partitions) | member |
/// | 8 | `ConsumerGroupCurrentMemberAssignment` (epochs, state, owned partitions) | member |
public enum ConsumerGroupRecord: Hashable, Sendable {
    case groupMetadata(group: String, ConsumerGroupMetadataValue?)
    case partitionMetadata(group: String, ConsumerGroupPartitionMetadataValue?)
    case memberMetadata(group: String, member: String, ConsumerGroupMemberMetadataValue?)
    case targetAssignmentMetadata(group: String, ConsumerGroupTargetAssignmentMetadataValue?)
    case targetAssignmentMember(group: String, member: String, ConsumerGroupTargetAssignmentMemberValue?)
    case currentAssignment(group: String, member: String, ConsumerGroupCurrentMemberAssignmentValue?)

    /// The key versions of these records.
    public static let keyVersions: ClosedRange<Int16> = 3...8

    public var groupId: String {
        switch self {
        case let .groupMetadata(g, _), let .partitionMetadata(g, _), let .memberMetadata(g, _, _),
             let .targetAssignmentMetadata(g, _), let .targetAssignmentMember(g, _, _), let .currentAssignment(g, _, _):
            return g
        }
    }

    public var isTombstone: Bool {
        switch self {
        case let .groupMetadata(_, v): return v == nil
        case let .partitionMetadata(_, v): return v == nil
        case let .memberMetadata(_, _, v): return v == nil
        case let .targetAssignmentMetadata(_, v): return v == nil
        case let .targetAssignmentMember(_, _, v): return v == nil
        case let .currentAssignment(_, _, v): return v == nil
        }
    }

    var keyVersion: Int16 {
        switch self {
        case .groupMetadata: return 3
        case .partitionMetadata: return 4
        case .memberMetadata: return 5
        case .targetAssignmentMetadata: return 6
        case .targetAssignmentMember: return 7
        case .currentAssignment: return 8
        }
    }

    func encodeKey(to w: inout WireWriter) {
        w.writeInt16(keyVersion)
        w.writeString(groupId, compact: false)
        switch self {
        case let .memberMetadata(_, m, _), let .targetAssignmentMember(_, m, _), let .currentAssignment(_, m, _):
            w.writeString(m, compact: false)
        default:
            break
        }
    }

    /// The value's bytes (version 0), nil for a tombstone.
    var valueBytes: ByteBuffer? {
        var w = WireWriter(capacity: 128)
        w.writeInt16(0)
        switch self {
        case let .groupMetadata(_, v?): v.encode(to: &w)
        case let .partitionMetadata(_, v?): v.encode(to: &w)
        case let .memberMetadata(_, _, v?): v.encode(to: &w)
        case let .targetAssignmentMetadata(_, v?): v.encode(to: &w)
        case let .targetAssignmentMember(_, _, v?): v.encode(to: &w)
        case let .currentAssignment(_, _, v?): v.encode(to: &w)
        default: return nil
        }
        return w.buffer
    }

    /// Decodes a record whose key version (already read) is in ``keyVersions``.
    init(keyVersion: Int16, keyFields r: inout WireReader, value: ByteBuffer?) throws {
        let group = try r.readString(compact: false, field: "group")
        func member(_ r: inout WireReader) throws -> String { try r.readString(compact: false, field: "member") }
        // The value's version prefix: every known version shares version 0's layout.
        func valueReader() throws -> WireReader? {
            guard let value else { return nil }
            var reader = WireReader(value)
            let version = try reader.readInt16()
            guard version >= 0 else { throw WireError.invalidValue("consumer group record value version \(version)") }
            return reader
        }
        switch keyVersion {
        case 3:
            self = .groupMetadata(group: group, try valueReader().map { var r = $0; return try .init(fieldsFrom: &r) })
        case 4:
            self = .partitionMetadata(group: group, try valueReader().map { var r = $0; return try .init(fieldsFrom: &r) })
        case 5:
            let m = try member(&r)
            self = .memberMetadata(group: group, member: m, try valueReader().map { var r = $0; return try .init(fieldsFrom: &r) })
        case 6:
            self = .targetAssignmentMetadata(group: group, try valueReader().map { var r = $0; return try .init(fieldsFrom: &r) })
        case 7:
            let m = try member(&r)
            self = .targetAssignmentMember(group: group, member: m,
                                           try valueReader().map { var r = $0; return try .init(fieldsFrom: &r) })
        case 8:
            let m = try member(&r)
            self = .currentAssignment(group: group, member: m, try valueReader().map { var r = $0; return try .init(fieldsFrom: &r) })
        default:
            throw WireError.invalidValue("key version \(keyVersion) is no consumer group record")
        }
    }
}
