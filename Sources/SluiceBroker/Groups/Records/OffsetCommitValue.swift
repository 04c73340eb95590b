import KafkaProtocol
import NIOCore

/// The value of an offset commit record in `__consumer_offsets` (Kafka's `OffsetCommitValue`).
///
/// | version | fields after the int16 version |
/// |---|---|
/// | 0, 2 | offset int64, metadata string, commitTimestamp int64 |
/// | 1 | offset int64, metadata string, commitTimestamp int64, expireTimestamp int64 |
/// | 3 | offset int64, leaderEpoch int32, metadata string, commitTimestamp int64 |
/// | 4+ | as 3, flexible (compact string, tagged fields at the end) |
///
/// Sluice writes version 3, or version 1 when the commit carried an explicit retention time
/// (OffsetCommit v2–v4), exactly as Kafka does; Burrow reads versions 0, 1 and 3.
/// Versions above 4 are read with the version 4 layout (KIP-915: later versions only add tagged
/// fields).
public struct OffsetCommitValue: Hashable, Sendable {
    public var offset: Int64
    /// -1 when unknown.
    public var leaderEpoch: Int32
    /// Never null in the record; a null commit metadata is stored as "".
    public var metadata: String
    public var commitTimestamp: Int64
    /// Set only by commits with a retention time (value version 1).
    public var expireTimestamp: Int64?

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestamp: Int64,
                expireTimestamp: Int64? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }

    /// The version this value is written with.
    public var writtenVersion: Int16 { expireTimestamp == nil ? 3 : 1 }

    /// Decodes a value, version prefix included.
    public init(bytes: ByteBuffer) throws {
        var reader = WireReader(bytes)
        let version = try reader.readInt16()
        guard version >= 0 else { throw WireError.invalidValue("offset commit value version \(version)") }
        let flexible = version >= 4
        offset = try reader.readInt64()
        leaderEpoch = version >= 3 ? try reader.readInt32() : -1
        metadata = try reader.readString(compact: flexible, field: "metadata")
        commitTimestamp = try reader.readInt64()
        expireTimestamp = version == 1 ? try reader.readInt64() : nil
        if flexible {
            _ = try reader.readTaggedFields { _, _ in false }
        }
    }

    /// The value's bytes, version prefix included.
    public func encoded() -> ByteBuffer {
        var writer = WireWriter(capacity: 32 + metadata.utf8.count)
        let version = writtenVersion
        writer.writeInt16(version)
        writer.writeInt64(offset)
        if version >= 3 {
            writer.writeInt32(leaderEpoch)
        }
        writer.writeString(metadata, compact: false)
        writer.writeInt64(commitTimestamp)
        if version == 1 {
            writer.writeInt64(expireTimestamp ?? -1)
        }
        return writer.buffer
    }
}
