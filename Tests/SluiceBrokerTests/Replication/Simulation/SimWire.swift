import KafkaProtocol
import NIOCore
@testable import SluiceBroker

/// The simulation sends requests and responses through Kafka's encoding (at the versions the
/// broker uses), so the wire layout of what replication relies on (Fetch v12's diverging epoch
/// and last fetched epoch, AlterPartition v3) is exercised too.
enum SimWire {
    static let fetchVersion: Int16 = 12
    static let alterPartitionVersion: Int16 = 3

    static func encode<R: KafkaRequest>(_ request: R, version: Int16) -> ByteBuffer {
        var writer = WireWriter()
        request.encode(to: &writer, version: version)
        return writer.buffer
    }

    static func decode<R: KafkaRequest>(_ type: R.Type, _ bytes: ByteBuffer, version: Int16) throws -> R {
        var reader = WireReader(bytes)
        return try R(from: &reader, version: version)
    }

    static func encodeResponse<R: KafkaResponse>(_ response: R, version: Int16) -> ByteBuffer {
        var writer = WireWriter()
        response.encode(to: &writer, version: version)
        precondition(writer.isContiguous, "simulated responses carry records in memory")
        return writer.buffer
    }

    static func decodeResponse<R: KafkaResponse>(_ type: R.Type, _ bytes: ByteBuffer, version: Int16) throws -> R {
        var reader = WireReader(bytes)
        return try R(from: &reader, version: version)
    }

    /// A fetch answer with its records copied out of the log files (and the reads released).
    static func inMemory(_ served: ServedReplicaFetch) throws -> [FetchResponse.PartitionData] {
        defer { served.release() }
        return try served.partitions.map { data in
            var copy = data
            if let records = data.records { copy.records = .bytes(try records.loadBytes()) }
            return copy
        }
    }
}
