import KafkaProtocol
import NIOCore
import SluiceBase
import SluiceSecurity

/// Encodes metadata records for the Raft log and snapshots.
///
/// A batch (one Raft entry): `magic 0x53 ('S')`, `format 1`, an unsigned-varint count, then each
/// record as a compact byte string of `type int16, version int16, fields`. Strings and arrays use
/// the compact (flexible) encodings of Kafka's wire format. Decoding never traps: damaged input is
/// a ``MetadataRecordError``.
public enum MetadataRecordCodec {
    static let magic: UInt8 = 0x53
    static let format: UInt8 = 1

    public static func encode(_ records: [MetadataRecord]) -> [UInt8] {
        var writer = WireWriter(capacity: 64 * max(1, records.count))
        writer.buffer.writeInteger(magic)
        writer.buffer.writeInteger(format)
        writer.writeUnsignedVarint(UInt32(records.count))
        for record in records {
            var body = WireWriter(capacity: 64)
            body.writeInt16(record.typeId)
            body.writeInt16(0)
            encodeFields(record, to: &body)
            writer.writeBytes(body.buffer, compact: true)
        }
        return Array(writer.buffer.readableBytesView)
    }

    public static func decode(_ bytes: [UInt8]) throws(MetadataRecordError) -> [MetadataRecord] {
        var reader = WireReader(ByteBuffer(bytes: bytes))
        do {
            guard try reader.readInt8() == Int8(bitPattern: magic) else { throw MetadataRecordError("not a metadata record batch") }
            let version = try reader.readInt8()
            guard version == Int8(format) else { throw MetadataRecordError("unknown metadata batch format \(version)") }
            let count = Int(try reader.readUnsignedVarint())
            guard count <= reader.remaining else { throw MetadataRecordError("record count \(count) exceeds the batch") }
            var records: [MetadataRecord] = []
            records.reserveCapacity(count)
            for _ in 0..<count {
                var body = WireReader(try reader.readBytes(compact: true))
                records.append(try decodeRecord(&body))
                guard body.remaining == 0 else { throw MetadataRecordError("\(body.remaining) stray bytes after a record") }
            }
            guard reader.remaining == 0 else { throw MetadataRecordError("\(reader.remaining) stray bytes after the batch") }
            return records
        } catch let error as MetadataRecordError {
            throw error
        } catch {
            throw MetadataRecordError("malformed metadata batch: \(error)")
        }
    }

    // MARK: Fields

    private static func encodeFields(_ record: MetadataRecord, to w: inout WireWriter) {
        switch record {
        case .clusterId(let id):
            w.writeString(id, compact: true)
        case .registerBroker(let b):
            w.writeInt32(b.id)
            w.writeString(b.incarnationId, compact: true)
            w.writeInt64(b.epoch)
            w.writeArray(b.endpoints, compact: true) { w, e in
                w.writeString(e.name, compact: true)
                w.writeString(e.address.host, compact: true)
                w.writeInt32(Int32(e.address.port))
                w.writeInt16(e.securityProtocol)
            }
            w.writeNullableString(b.rack, compact: true)
            w.writeBool(b.fenced)
            w.writeBool(b.inControlledShutdown)
        case .unregisterBroker(let id, let epoch), .fenceBroker(let id, let epoch), .unfenceBroker(let id, let epoch):
            w.writeInt32(id)
            w.writeInt64(epoch)
        case .brokerShutdownChange(let id, let epoch, let flag):
            w.writeInt32(id)
            w.writeInt64(epoch)
            w.writeBool(flag)
        case .topic(let name, let id):
            w.writeString(name, compact: true)
            w.writeUUID(id)
        case .partition(let p):
            w.writeUUID(p.topicId)
            w.writeInt32(p.partition)
            writeIds(p.replicas, &w)
            writeIds(p.isr, &w)
            w.writeInt32(p.leader)
            w.writeInt32(p.leaderEpoch)
            w.writeInt32(p.partitionEpoch)
            writeIds(p.addingReplicas, &w)
            writeIds(p.removingReplicas, &w)
        case .partitionChange(let c):
            w.writeUUID(c.topicId)
            w.writeInt32(c.partition)
            w.writeNullableStruct(c.leader) { w, v in w.writeInt32(v) }
            for list in [c.isr, c.replicas, c.addingReplicas, c.removingReplicas] {
                w.writeNullableArray(list, compact: true) { w, v in w.writeInt32(v) }
            }
        case .removeTopic(let id):
            w.writeUUID(id)
        case .config(let type, let resource, let name, let value):
            w.writeInt8(type)
            w.writeString(resource, compact: true)
            w.writeString(name, compact: true)
            w.writeNullableString(value, compact: true)
        case .producerIds(let broker, let epoch, let next):
            w.writeInt32(broker)
            w.writeInt64(epoch)
            w.writeInt64(next)
        case let .userScramCredential(name, mechanism, credential):
            w.writeString(name, compact: true)
            w.writeInt8(mechanism.wireType)
            for bytes in [credential.salt, credential.storedKey, credential.serverKey] {
                w.writeBytes(ByteBuffer(bytes: bytes), compact: true)
            }
            w.writeInt32(credential.iterations)
        case let .removeUserScramCredential(name, mechanism):
            w.writeString(name, compact: true)
            w.writeInt8(mechanism.wireType)
        case let .accessControlEntry(id, binding):
            // Kafka's field order: Id, ResourceType, ResourceName, PatternType, Principal, Host,
            // Operation, PermissionType.
            w.writeUUID(id)
            w.writeInt8(binding.pattern.resourceType.code)
            w.writeString(binding.pattern.name, compact: true)
            w.writeInt8(binding.pattern.patternType.code)
            w.writeString(binding.entry.principal, compact: true)
            w.writeString(binding.entry.host, compact: true)
            w.writeInt8(binding.entry.operation.code)
            w.writeInt8(binding.entry.permission.code)
        case .removeAccessControlEntry(let id):
            w.writeUUID(id)
        case let .clientQuota(entity, key, value):
            // Kafka's field order: Entity (type, nullable name), Key, Value, Remove.
            w.writeArray(entity.components, compact: true) { w, part in
                w.writeString(part.type, compact: true)
                w.writeNullableString(part.name, compact: true)
            }
            w.writeString(key, compact: true)
            w.writeFloat64(value ?? 0)
            w.writeBool(value == nil)
        case .beginTransaction(let name):
            w.writeNullableString(name, compact: true)
        case .endTransaction:
            break
        case .abortTransaction(let reason):
            w.writeNullableString(reason, compact: true)
        }
    }

    private static func writeIds(_ ids: [Int32], _ w: inout WireWriter) {
        w.writeArray(ids, compact: true) { w, v in w.writeInt32(v) }
    }

    private static func readIds(_ r: inout WireReader) throws -> [Int32] {
        try r.readArray(compact: true) { try $0.readInt32() }
    }

    private static func readScramMechanism(_ r: inout WireReader) throws -> ScramMechanism {
        let type = try r.readInt8()
        guard let mechanism = ScramMechanism(wireType: type) else { throw MetadataRecordError("unknown SCRAM mechanism \(type)") }
        return mechanism
    }

    private static func decodeRecord(_ r: inout WireReader) throws -> MetadataRecord {
        let type = try r.readInt16()
        let version = try r.readInt16()
        guard version == 0 else { throw MetadataRecordError("record type \(type) has unknown version \(version)") }
        switch type {
        case 100:
            return .clusterId(try r.readString(compact: true))
        case 0:
            let id = try r.readInt32()
            let incarnation = try r.readString(compact: true)
            let epoch = try r.readInt64()
            let endpoints = try r.readArray(compact: true) { r in
                BrokerEndpoint(name: try r.readString(compact: true),
                               address: BrokerAddress(host: try r.readString(compact: true), port: Int(try r.readInt32())),
                               securityProtocol: try r.readInt16())
            }
            let rack = try r.readNullableString(compact: true)
            let fenced = try r.readBool()
            let shutdown = try r.readBool()
            return .registerBroker(BrokerRegistration(id: id, incarnationId: incarnation, epoch: epoch, endpoints: endpoints,
                                                      rack: rack, fenced: fenced, inControlledShutdown: shutdown))
        case 1: return .unregisterBroker(id: try r.readInt32(), epoch: try r.readInt64())
        case 7: return .fenceBroker(id: try r.readInt32(), epoch: try r.readInt64())
        case 8: return .unfenceBroker(id: try r.readInt32(), epoch: try r.readInt64())
        case 17:
            return .brokerShutdownChange(id: try r.readInt32(), epoch: try r.readInt64(), inControlledShutdown: try r.readBool())
        case 2:
            return .topic(name: try r.readString(compact: true), id: try r.readUUID())
        case 3:
            let topicId = try r.readUUID()
            let partition = try r.readInt32()
            let replicas = try readIds(&r)
            let isr = try readIds(&r)
            let leader = try r.readInt32()
            let leaderEpoch = try r.readInt32()
            let partitionEpoch = try r.readInt32()
            return .partition(PartitionRegistration(
                topicId: topicId, partition: partition, replicas: replicas, isr: isr, leader: leader,
                leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch,
                addingReplicas: try readIds(&r), removingReplicas: try readIds(&r)))
        case 5:
            var change = PartitionChange(topicId: try r.readUUID(), partition: try r.readInt32())
            change.leader = try r.readNullableStruct { try $0.readInt32() }
            change.isr = try r.readNullableArray(compact: true) { try $0.readInt32() }
            change.replicas = try r.readNullableArray(compact: true) { try $0.readInt32() }
            change.addingReplicas = try r.readNullableArray(compact: true) { try $0.readInt32() }
            change.removingReplicas = try r.readNullableArray(compact: true) { try $0.readInt32() }
            return .partitionChange(change)
        case 9:
            return .removeTopic(id: try r.readUUID())
        case 4:
            return .config(resourceType: try r.readInt8(), resourceName: try r.readString(compact: true),
                           name: try r.readString(compact: true), value: try r.readNullableString(compact: true))
        case 15:
            return .producerIds(brokerId: try r.readInt32(), brokerEpoch: try r.readInt64(), nextProducerId: try r.readInt64())
        case 11:
            let name = try r.readString(compact: true)
            let mechanism = try readScramMechanism(&r)
            let salt = Array(try r.readBytes(compact: true).readableBytesView)
            let storedKey = Array(try r.readBytes(compact: true).readableBytesView)
            let serverKey = Array(try r.readBytes(compact: true).readableBytesView)
            let credential = ScramCredential(salt: salt, storedKey: storedKey, serverKey: serverKey, iterations: try r.readInt32())
            return .userScramCredential(name: name, mechanism: mechanism, credential: credential)
        case 12:
            return .removeUserScramCredential(name: try r.readString(compact: true), mechanism: try readScramMechanism(&r))
        case 18:
            let id = try r.readUUID()
            let resourceType = try r.readInt8()
            let name = try r.readString(compact: true)
            let patternType = try r.readInt8()
            let principal = try r.readString(compact: true)
            let host = try r.readString(compact: true)
            let operation = try r.readInt8()
            let permission = try r.readInt8()
            guard let type = AclResourceType(code: resourceType), let pattern = AclPatternType(code: patternType),
                  let op = AclOperation(code: operation), let perm = AclPermissionType(code: permission) else {
                throw MetadataRecordError("ACL record \(id) has unknown codes")
            }
            let binding = AclBinding(AclResourcePattern(type, name, pattern),
                                     AccessControlEntry(principal: principal, host: host, operation: op, permission: perm))
            return .accessControlEntry(id: id, binding: binding)
        case 19:
            return .removeAccessControlEntry(id: try r.readUUID())
        case 14:
            let parts = try r.readArray(compact: true) { r in (try r.readString(compact: true), try r.readNullableString(compact: true)) }
            var entity = ClientQuotaEntity()
            for (type, name) in parts {
                switch type {
                case ClientQuotaEntity.userType where entity.user == nil: entity.user = .init(wire: name)
                case ClientQuotaEntity.clientIdType where entity.clientId == nil: entity.clientId = .init(wire: name)
                default: throw MetadataRecordError("client quota record with entity type \(type)")
                }
            }
            let key = try r.readString(compact: true)
            let value = try r.readFloat64()
            let remove = try r.readBool()
            return .clientQuota(entity: entity, key: key, value: remove ? nil : value)
        case 23:
            return .beginTransaction(name: try r.readNullableString(compact: true))
        case 24:
            return .endTransaction
        case 25:
            return .abortTransaction(reason: try r.readNullableString(compact: true))
        default:
            throw MetadataRecordError("unknown metadata record type \(type)")
        }
    }
}

/// A metadata record batch or snapshot that cannot be decoded.
public struct MetadataRecordError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
