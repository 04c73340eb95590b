import KafkaProtocol
import NIOCore

/// The value of a group metadata record in `__consumer_offsets` (Kafka's `GroupMetadataValue`):
/// a group's generation, selected protocol, leader and members with their subscription and
/// assignment bytes.
///
/// | version | change |
/// |---|---|
/// | 0 | protocolType string, generation int32, protocol nullable string, leader nullable string, members |
/// | 1 | members gain rebalanceTimeout int32 (after clientHost) |
/// | 2 | currentStateTimestamp int64 after leader |
/// | 3 | members gain groupInstanceId nullable string (after memberId) |
/// | 4+ | flexible: compact strings, bytes and arrays, tagged fields after each struct |
///
/// A member is `memberId string, [groupInstanceId], clientId string, clientHost string,
/// [rebalanceTimeout int32], sessionTimeout int32, subscription bytes, assignment bytes`.
/// Sluice writes version 3, as Kafka does (Burrow reads 0–3). Versions above 4 are read with the
/// version 4 layout.
public struct GroupMetadataValue: Hashable, Sendable {
    public static let writtenVersion: Int16 = 3

    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var rebalanceTimeoutMs: Int32
        public var sessionTimeoutMs: Int32
        /// The member's metadata for the group's selected protocol (opaque).
        public var subscription: ByteBuffer
        /// The member's assignment (opaque).
        public var assignment: ByteBuffer

        public init(memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
                    rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, subscription: ByteBuffer,
                    assignment: ByteBuffer) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.sessionTimeoutMs = sessionTimeoutMs
            self.subscription = subscription
            self.assignment = assignment
        }
    }

    public var protocolType: String
    public var generation: Int32
    public var protocolName: String?
    public var leader: String?
    /// When the group entered its current state; -1 when unknown (value versions 0 and 1).
    public var currentStateTimestamp: Int64
    public var members: [Member]

    public init(protocolType: String, generation: Int32, protocolName: String?, leader: String?,
                currentStateTimestamp: Int64, members: [Member]) {
        self.protocolType = protocolType
        self.generation = generation
        self.protocolName = protocolName
        self.leader = leader
        self.currentStateTimestamp = currentStateTimestamp
        self.members = members
    }

    /// Decodes a value, version prefix included.
    public init(bytes: ByteBuffer) throws {
        var reader = WireReader(bytes)
        let version = try reader.readInt16()
        guard version >= 0 else { throw WireError.invalidValue("group metadata value version \(version)") }
        let flexible = version >= 4
        protocolType = try reader.readString(compact: flexible, field: "protocolType")
        generation = try reader.readInt32()
        protocolName = try reader.readNullableString(compact: flexible)
        leader = try reader.readNullableString(compact: flexible)
        currentStateTimestamp = version >= 2 ? try reader.readInt64() : -1
        members = try reader.readArray(compact: flexible, field: "members") { r in
            try Self.readMember(&r, version: version)
        }
        if flexible {
            _ = try reader.readTaggedFields { _, _ in false }
        }
    }

    private static func readMember(_ r: inout WireReader, version: Int16) throws -> Member {
        let flexible = version >= 4
        let memberId = try r.readString(compact: flexible, field: "memberId")
        let instanceId = version >= 3 ? try r.readNullableString(compact: flexible) : nil
        let clientId = try r.readString(compact: flexible, field: "clientId")
        let clientHost = try r.readString(compact: flexible, field: "clientHost")
        let rebalanceTimeout = version >= 1 ? try r.readInt32() : nil
        let sessionTimeout = try r.readInt32()
        let subscription = try r.readBytes(compact: flexible, field: "subscription")
        let assignment = try r.readBytes(compact: flexible, field: "assignment")
        if flexible {
            _ = try r.readTaggedFields { _, _ in false }
        }
        // Version 0 had no rebalance timeout: Kafka used the session timeout in its place.
        return Member(memberId: memberId, groupInstanceId: instanceId, clientId: clientId, clientHost: clientHost,
                      rebalanceTimeoutMs: rebalanceTimeout ?? sessionTimeout, sessionTimeoutMs: sessionTimeout,
                      subscription: subscription, assignment: assignment)
    }

    /// The value's bytes (version 3), version prefix included.
    public func encoded() -> ByteBuffer {
        var writer = WireWriter(capacity: 128)
        writer.writeInt16(Self.writtenVersion)
        writer.writeString(protocolType, compact: false)
        writer.writeInt32(generation)
        writer.writeNullableString(protocolName, compact: false)
        writer.writeNullableString(leader, compact: false)
        writer.writeInt64(currentStateTimestamp)
        writer.writeArray(members, compact: false) { w, m in
            w.writeString(m.memberId, compact: false)
            w.writeNullableString(m.groupInstanceId, compact: false)
            w.writeString(m.clientId, compact: false)
            w.writeString(m.clientHost, compact: false)
            w.writeInt32(m.rebalanceTimeoutMs)
            w.writeInt32(m.sessionTimeoutMs)
            w.writeBytes(m.subscription, compact: false)
            w.writeBytes(m.assignment, compact: false)
        }
        return writer.buffer
    }
}
