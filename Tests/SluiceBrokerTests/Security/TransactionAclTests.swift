import Foundation
import KafkaProtocol
import NIOCore
import SluiceClient
import SluiceSecurity
import Testing
@testable import SluiceBroker

/// The transaction APIs under the authorizer, as Kafka checks them: DESCRIBE (FindCoordinator)
/// and WRITE (InitProducerId, AddPartitionsToTxn, EndTxn) on the transactional id, WRITE on the
/// topics added, CLUSTER_ACTION for the brokers' WriteTxnMarkers.
extension AclBrokerTests {
    @Test func transactionsNeedTransactionalIdAcls() async throws {
        let fixture = try await start()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let admin = KafkaAdmin(client: try client(fixture, "admin"))
            try await admin.createTopic(NewTopic(name: "orders", partitions: 1, replicationFactor: 1))
            try await admin.createTopic(NewTopic(name: "secret", partitions: 1, replicationFactor: 1))
            let alice = try client(fixture, "alice")
            let connection = try await alice.anyConnection()
            let refused = ErrorCode.transactionalIdAuthorizationFailed.rawValue
            let find = FindCoordinatorRequest(key: "tx", keyType: 1)
            #expect(try await connection.send(find, version: 3).errorCode == refused)
            let initTxn = InitProducerIdRequest(transactionalId: "tx", transactionTimeoutMs: 60_000)
            #expect(try await connection.send(initTxn, version: 4).errorCode == refused)
            var add = AddPartitionsToTxnRequest()
            add.v3AndBelowTransactionalId = "tx"
            add.v3AndBelowTopics = [.init(name: "orders", partitions: [0]), .init(name: "secret", partitions: [0])]
            let added = try await connection.send(add, version: 3)
            #expect(added.resultsByTopicV3AndBelow.flatMap(\.resultsByPartition).map(\.partitionErrorCode) == [refused, refused])
            #expect(try await connection.send(EndTxnRequest(transactionalId: "tx", committed: true), version: 3).errorCode == refused)
            var markers = WriteTxnMarkersRequest()
            markers.markers = [.init(producerId: 1, producerEpoch: 0, transactionResult: true,
                                     topics: [.init(name: "orders", partitionIndexes: [0])], coordinatorEpoch: 0)]
            let written = try await connection.send(markers, version: 1)
            #expect(written.markers.first?.topics.first?.partitions.first?.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)

            // WRITE on the transactional id (DESCRIBE implied) and on orders only.
            try await admin.createAcls([allow("User:alice", .write, .transactionalId("tx")),
                                        allow("User:alice", .write, .topic("orders"))])
            try await eventually("alice's FindCoordinator") { try await connection.send(find, version: 3).errorCode == 0 }
            var producer = InitProducerIdResponse()
            try await eventually("alice's InitProducerId") {
                producer = try await connection.send(initTxn, version: 4)
                return producer.errorCode == 0
            }
            add.v3AndBelowProducerId = producer.producerId
            add.v3AndBelowProducerEpoch = producer.producerEpoch
            let partly = try await connection.send(add, version: 3).resultsByTopicV3AndBelow
            #expect(partly.map(\.name) == ["orders", "secret"])
            #expect(partly.flatMap(\.resultsByPartition).map(\.partitionErrorCode)
                    == [ErrorCode.operationNotAttempted.rawValue, ErrorCode.topicAuthorizationFailed.rawValue])
            add.v3AndBelowTopics = [.init(name: "orders", partitions: [0])]
            #expect(try await connection.send(add, version: 3).resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode == 0)
            let end = EndTxnRequest(transactionalId: "tx", producerId: producer.producerId, producerEpoch: producer.producerEpoch,
                                    committed: false)
            #expect(try await connection.send(end, version: 3).errorCode == 0)
            await alice.close()
        }
    }
}
