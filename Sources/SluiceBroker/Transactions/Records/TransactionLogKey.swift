import KafkaProtocol
import NIOCore

/// The key of a record in `__transaction_state` (Kafka's `TransactionLogKey`, version 0, not
/// flexible): `version int16 (0)`, `transactional_id string`. Every record of one transactional
/// id has this key, so compaction keeps its latest state only.
public struct TransactionLogKey: Hashable, Sendable {
    public static let version: Int16 = 0

    public var transactionalId: String

    public init(transactionalId: String) {
        self.transactionalId = transactionalId
    }

    /// Decodes a key, version prefix included; versions other than 0 are not Kafka's.
    public init(bytes: ByteBuffer) throws {
        var reader = WireReader(bytes)
        let version = try reader.readInt16()
        guard version == Self.version else { throw WireError.invalidValue("transaction log key version \(version)") }
        transactionalId = try reader.readString(compact: false, field: "transactional_id")
    }

    public func encoded() -> ByteBuffer {
        var writer = WireWriter(capacity: 4 + transactionalId.utf8.count)
        writer.writeInt16(Self.version)
        writer.writeString(transactionalId, compact: false)
        return writer.buffer
    }
}
