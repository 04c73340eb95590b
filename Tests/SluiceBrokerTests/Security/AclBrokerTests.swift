import Foundation
import KafkaProtocol
import NIOCore
import SluiceClient
import SluiceSecurity
import Testing
@testable import SluiceBroker

/// ACLs end to end in one broker: CreateAcls / DescribeAcls / DeleteAcls through the controller
/// and the metadata log, and the authorizer on each API, with SASL PLAIN users `admin` (a super
/// user) and `alice` on a SASL_PLAINTEXT listener.
@Suite(.serialized, .onTestThreads) struct AclBrokerTests {
    static let authorizer = [("authorizer.class.name", StandardAuthorizer.className), ("super.users", "User:admin")]

    func start(_ properties: [(String, String)] = authorizer) async throws -> SecureBrokerFixture {
        try await SecureBrokerFixture.start(listener: "SASL_PLAINTEXT", properties: properties)
    }

    func client(_ fixture: SecureBrokerFixture, _ user: String) throws -> KafkaClient {
        fixture.client(try fixture.security(["security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                                             "sasl.username": user, "sasl.password": "\(user)-secret"]))
    }

    func allow(_ principal: String, _ operation: AclOperation, _ resource: AclResource,
               _ pattern: AclPatternType = .literal) -> AclBinding {
        AclBinding(AclResourcePattern(resource.type, resource.name, pattern),
                   AccessControlEntry(principal: principal, operation: operation, permission: .allow))
    }

    /// Polls `body` until it returns true (ACLs reach the image after the controller commits them).
    func eventually(_ what: String, _ body: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await body() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
    }

    func produceCode(_ client: KafkaClient, _ topic: String) async throws -> Int16 {
        let response = try await client.anyConnection().send(produceRequest(topic: topic, batch: try makeBatch(1)), version: 9)
        return response.responses.first?.partitionResponses.first?.errorCode ?? -99
    }

    @Test func aclsAreCreatedDescribedAndDeletedThroughTheMetadataLog() async throws {
        let fixture = try await start()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let admin = KafkaAdmin(client: try client(fixture, "admin"))
            let bindings = [
                allow("User:alice", .read, .topic("orders")),
                allow("User:alice", .write, .topic("logs-"), .prefixed),
                AclBinding(AclResourcePattern(.group, "*"), AccessControlEntry(principal: "User:*", host: "10.0.0.1", operation: .read, permission: .deny)),
            ]
            try await admin.createAcls(bindings)
            // Creating one again is no error and adds nothing.
            try await admin.createAcls([bindings[0]])
            try await eventually("the ACLs in the image") { fixture.broker.services.cluster.view.image.acls.count == 3 }
            #expect(try await admin.describeAcls(.all) == bindings.sorted())
            // MATCH finds what applies to a resource: the literal ACL on orders only.
            #expect(try await admin.describeAcls(AclBindingFilter(resourceType: .topic, name: "orders", patternType: .match)) == [bindings[0]])
            #expect(try await admin.describeAcls(AclBindingFilter(resourceType: .topic, name: "logs-app", patternType: .match)) == [bindings[1]])
            #expect(try await admin.describeAcls(AclBindingFilter(principal: "User:*")) == [bindings[2]])
            // An invalid ACL is INVALID_REQUEST, named.
            do {
                try await admin.createAcls([allow("alice", .read, .topic("orders"))])
                Issue.record("an ACL without a principal type was accepted")
            } catch let error as KafkaClientError {
                #expect(error.errorCode == .invalidRequest, "\(error)")
            }
            // Deleting by filter returns what went; the image follows.
            let deleted = try await admin.deleteAcls([AclBindingFilter(resourceType: .topic, patternType: .any)])
            #expect(deleted == [bindings[0], bindings[1]].sorted())
            try await eventually("the deletion in the image") { fixture.broker.services.cluster.view.image.acls.count == 1 }
            #expect(try await admin.describeAcls(.all) == [bindings[2]])
            // alice may not manage ACLs: CLUSTER_AUTHORIZATION_FAILED.
            let alice = KafkaAdmin(client: try client(fixture, "alice"))
            for attempt in ["create", "describe", "delete"] {
                do {
                    switch attempt {
                    case "create": try await alice.createAcls([bindings[0]])
                    case "describe": _ = try await alice.describeAcls(.all)
                    default: _ = try await alice.deleteAcls([.all])
                    }
                    Issue.record("alice could \(attempt) ACLs")
                } catch let error as KafkaClientError {
                    #expect(error.errorCode == .clusterAuthorizationFailed, "\(attempt): \(error)")
                }
            }
        }
    }

    @Test func withoutAnAuthorizerTheAclApisAreSecurityDisabled() async throws {
        let fixture = try await start([])
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let admin = KafkaAdmin(client: try client(fixture, "alice"))
            do {
                _ = try await admin.describeAcls(.all)
                Issue.record("DescribeAcls answered without an authorizer")
            } catch let error as KafkaClientError {
                #expect(error.errorCode == .securityDisabled, "\(error)")
            }
        }
    }

    @Test func produceFetchAndMetadataFollowTheAcls() async throws {
        let fixture = try await start()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let adminClient = try client(fixture, "admin")
            let admin = KafkaAdmin(client: adminClient)
            try await admin.createTopic(NewTopic(name: "orders", partitions: 1, replicationFactor: 1))
            try await admin.createTopic(NewTopic(name: "secret", partitions: 1, replicationFactor: 1))
            let alice = try client(fixture, "alice")
            let connection = try await alice.anyConnection()
            // No ACL: refused, and Metadata hides both topics (asked by name: TOPIC_AUTHORIZATION_FAILED).
            #expect(try await produceCode(alice, "orders") == ErrorCode.topicAuthorizationFailed.rawValue)
            let all = try await connection.send(MetadataRequest(topics: nil), version: 12)
            #expect(all.topics.isEmpty)
            let named = try await connection.send(MetadataRequest(topics: [.init(name: "orders")]), version: 12)
            #expect(named.topics.first?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
            // WRITE on orders (DESCRIBE implied): produce works, Metadata shows orders only, with the
            // authorized operations WRITE and DESCRIBE.
            try await admin.createAcls([allow("User:alice", .write, .topic("orders"))])
            try await eventually("alice's produce") { try await produceCode(alice, "orders") == 0 }
            var request = MetadataRequest(topics: nil)
            request.includeTopicAuthorizedOperations = true
            let visible = try await connection.send(request, version: 12)
            #expect(visible.topics.map(\.name) == ["orders"])
            #expect(visible.topics.first?.topicAuthorizedOperations == AclOperation.write.bit | AclOperation.describe.bit)
            // Fetch needs READ: refused until a prefixed READ ACL covers the topic.
            let fetch = FetchRequest(replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [
                .init(topic: "orders", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
            ])
            let refused = try await connection.send(fetch, version: 11)
            #expect(refused.responses.first?.partitions.first?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
            try await admin.createAcls([allow("User:alice", .read, .topic("ord"), .prefixed)])
            try await eventually("alice's fetch") {
                try await connection.send(fetch, version: 11).responses.first?.partitions.first?.errorCode == 0
            }
            // A DENY wins over the ALLOW, even from the wildcard principal.
            try await admin.createAcls([AclBinding(AclResourcePattern(.topic, "orders"),
                                                   AccessControlEntry(principal: "User:*", operation: .write, permission: .deny))])
            try await eventually("the deny") { try await produceCode(alice, "orders") == ErrorCode.topicAuthorizationFailed.rawValue }
            // The super user is never refused.
            #expect(try await produceCode(adminClient, "orders") == 0)
            // CreateTopics needs CREATE; DeleteTopics DELETE.
            let create = try await connection.send(CreateTopicsRequest(topics: [.init(name: "new-topic", numPartitions: 1, replicationFactor: 1)],
                                                                       timeoutMs: 5000), version: 7)
            #expect(create.topics.first?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
            // With CREATE alone the topic is created, but its configs are described (v5+) only with
            // DESCRIBE_CONFIGS on it: TOPIC_AUTHORIZATION_FAILED as the config error, nothing else.
            try await admin.createAcls([allow("User:alice", .create, .topic("made-"), .prefixed)])
            func createAsAlice(_ name: String) async throws -> CreateTopicsResponse.CreatableTopicResult {
                var created: CreateTopicsResponse.CreatableTopicResult?
                try await eventually("alice's CreateTopics of \(name)") {
                    let response = try await connection.send(CreateTopicsRequest(
                        topics: [.init(name: name, numPartitions: 2, replicationFactor: 1)], timeoutMs: 5000), version: 7)
                    created = response.topics.first.flatMap { $0.errorCode == 0 ? $0 : nil }
                    return created != nil
                }
                return try #require(created)
            }
            let blind = try await createAsAlice("made-blind")
            #expect(blind.topicConfigErrorCode == ErrorCode.topicAuthorizationFailed.rawValue)
            #expect(blind.numPartitions == -1 && blind.replicationFactor == -1 && (blind.configs ?? []).isEmpty)
            try await admin.createAcls([allow("User:alice", .describeConfigs, .topic("made-seen"))])
            let seen = try await createAsAlice("made-seen")
            #expect(seen.topicConfigErrorCode == 0 && seen.numPartitions == 2 && !(seen.configs ?? []).isEmpty)
            let delete = try await connection.send(DeleteTopicsRequest(topicNames: ["secret"], timeoutMs: 5000), version: 5)
            #expect(delete.responses.first?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
            #expect(try await admin.describeAcls(.all).count == 5)
            await alice.close()
            await adminClient.close()
        }
    }

    @Test func groupsNeedGroupAcls() async throws {
        let fixture = try await start()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let admin = KafkaAdmin(client: try client(fixture, "admin"))
            let alice = try client(fixture, "alice")
            let connection = try await alice.anyConnection()
            let join = JoinGroupRequest(groupId: "billing", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "",
                                        protocolType: "consumer", protocols: [.init(name: "range", metadata: ByteBuffer())])
            #expect(try await connection.send(join, version: 5).errorCode == ErrorCode.groupAuthorizationFailed.rawValue)
            let find = FindCoordinatorRequest(key: "billing", keyType: 0)
            #expect(try await connection.send(find, version: 2).errorCode == ErrorCode.groupAuthorizationFailed.rawValue)
            let offsets = try await connection.send(OffsetFetchRequest(groupId: "billing", topics: nil), version: 7)
            #expect(offsets.errorCode == ErrorCode.groupAuthorizationFailed.rawValue)
            try await admin.createAcls([allow("User:alice", .read, .group("bill"), .prefixed)])
            try await eventually("alice's FindCoordinator") {
                try await connection.send(find, version: 2).errorCode == 0
            }
            // Once the coordinator has loaded its partition, OffsetFetch answers.
            try await eventually("alice's OffsetFetch") {
                try await connection.send(OffsetFetchRequest(groupId: "billing", topics: nil), version: 7).errorCode == 0
            }
            // DescribeGroups: READ implies DESCRIBE; the operations are READ and DESCRIBE, not DELETE.
            var describe = DescribeGroupsRequest(groups: ["billing"])
            describe.includeAuthorizedOperations = true
            let described = try await connection.send(describe, version: 5)
            #expect(described.groups.first?.errorCode == 0)
            #expect(described.groups.first?.authorizedOperations == AclOperation.read.bit | AclOperation.describe.bit)
            // Another group stays refused.
            var other = DescribeGroupsRequest(groups: ["payroll"])
            other.includeAuthorizedOperations = true
            #expect(try await connection.send(other, version: 5).groups.first?.errorCode == ErrorCode.groupAuthorizationFailed.rawValue)
            let deleted = try await connection.send(DeleteGroupsRequest(groupsNames: ["billing"]), version: 2)
            #expect(deleted.results.first?.errorCode == ErrorCode.groupAuthorizationFailed.rawValue)
            await alice.close()
        }
    }

    @Test func authorizedOperationsWithoutAnAuthorizerAreEverySupportedOne() async throws {
        let fixture = try await start([])
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let alice = try client(fixture, "alice")
            try await KafkaAdmin(client: alice).createTopic(NewTopic(name: "orders", partitions: 1, replicationFactor: 1))
            let connection = try await alice.anyConnection()
            var request = MetadataRequest(topics: [.init(name: "orders")])
            request.includeTopicAuthorizedOperations = true
            request.includeClusterAuthorizedOperations = true
            let metadata = try await connection.send(request, version: 10)
            let topicOps = try #require(metadata.topics.first?.topicAuthorizedOperations)
            #expect(topicOps.nonzeroBitCount == 8 && topicOps == StandardAuthorizer.allOperations(of: .topic))
            #expect(metadata.clusterAuthorizedOperations.nonzeroBitCount == 7)
            var cluster = DescribeClusterRequest()
            cluster.includeClusterAuthorizedOperations = true
            let described = try await connection.send(cluster, version: 0)
            #expect(described.clusterAuthorizedOperations == StandardAuthorizer.allOperations(of: .cluster))
            // Not asked: the "unknown" default.
            let plain = try await connection.send(MetadataRequest(topics: [.init(name: "orders")]), version: 10)
            #expect(plain.topics.first?.topicAuthorizedOperations == Int32.min)
            await alice.close()
        }
    }

    @Test func clusterOperationsFollowClusterAcls() async throws {
        let fixture = try await start()
        try await withResource(fixture, stop: { await $0.stop() }) { fixture in
            let admin = KafkaAdmin(client: try client(fixture, "admin"))
            let alice = try client(fixture, "alice")
            let connection = try await alice.anyConnection()
            var cluster = DescribeClusterRequest()
            cluster.includeClusterAuthorizedOperations = true
            #expect(try await connection.send(cluster, version: 0).clusterAuthorizedOperations == 0)
            #expect(try await connection.send(DescribeLogDirsRequest(topics: nil), version: 3).errorCode
                    == ErrorCode.clusterAuthorizationFailed.rawValue)
            try await admin.createAcls([allow("User:alice", .alter, .cluster), allow("User:alice", .describe, .cluster)])
            try await eventually("alice's cluster operations") {
                try await connection.send(cluster, version: 0).clusterAuthorizedOperations == AclOperation.alter.bit | AclOperation.describe.bit
            }
            #expect(try await connection.send(DescribeLogDirsRequest(topics: nil), version: 3).errorCode == 0)
            // ALTER on the cluster lets alice manage ACLs.
            try await KafkaAdmin(client: alice).createAcls([allow("User:bob", .read, .topic("orders"))])
            await alice.close()
        }
    }
}
