import Testing
@testable import SluiceSecurity

/// The authorizer's rules, case by case as Kafka's `StandardAuthorizerTest` states them.
@Suite struct StandardAuthorizerTests {
    let alice = "User:alice"
    let bob = "User:bob"
    let host = "10.0.0.7"

    func allow(_ principal: String, _ operation: AclOperation, _ type: AclResourceType, _ name: String,
               _ pattern: AclPatternType = .literal, host: String = "*") -> AclBinding {
        AclBinding(AclResourcePattern(type, name, pattern),
                   AccessControlEntry(principal: principal, host: host, operation: operation, permission: .allow))
    }

    func deny(_ principal: String, _ operation: AclOperation, _ type: AclResourceType, _ name: String,
              _ pattern: AclPatternType = .literal, host: String = "*") -> AclBinding {
        AclBinding(AclResourcePattern(type, name, pattern),
                   AccessControlEntry(principal: principal, host: host, operation: operation, permission: .deny))
    }

    @Test func superUsersMayDoAnythingEvenWhenDenied() {
        let authorizer = StandardAuthorizer(superUsers: StandardAuthorizer.parseSuperUsers(" User:admin ; User:broker;"))
        #expect(authorizer.superUsers == ["User:admin", "User:broker"])
        let acls = AclIndex([deny("User:admin", .all, .topic, "*")])
        #expect(authorizer.authorize("User:admin", host: host, .delete, .topic("orders"), acls: acls))
        #expect(!authorizer.authorize(alice, host: host, .delete, .topic("orders"), acls: acls))
    }

    @Test func noAclOnAResourceFollowsAllowEveryoneIfNoAclFound() {
        let acls = AclIndex([allow(bob, .read, .topic, "other")])
        #expect(!StandardAuthorizer().authorize(alice, host: host, .read, .topic("orders"), acls: acls))
        let open = StandardAuthorizer(allowEveryoneIfNoAclFound: true)
        #expect(open.authorize(alice, host: host, .read, .topic("orders"), acls: acls))
        // ACLs on the resource, none for alice: denied even when everyone is allowed without ACLs.
        #expect(!open.authorize(alice, host: host, .read, .topic("other"), acls: acls))
    }

    @Test func allowGrantsItsOperationAndTheDescribesItImplies() {
        let authorizer = StandardAuthorizer()
        let acls = AclIndex([allow(alice, .read, .topic, "orders"), allow(alice, .alterConfigs, .topic, "orders")])
        #expect(authorizer.authorize(alice, host: host, .read, .topic("orders"), acls: acls))
        #expect(authorizer.authorize(alice, host: host, .describe, .topic("orders"), acls: acls))
        #expect(authorizer.authorize(alice, host: host, .describeConfigs, .topic("orders"), acls: acls))
        #expect(!authorizer.authorize(alice, host: host, .write, .topic("orders"), acls: acls))
        #expect(!authorizer.authorize(bob, host: host, .read, .topic("orders"), acls: acls))
        for implying in [AclOperation.write, .delete, .alter] {
            #expect(authorizer.authorize(bob, host: host, .describe, .topic("t"), acls: AclIndex([allow(bob, implying, .topic, "t")])))
        }
        #expect(!authorizer.authorize(bob, host: host, .describe, .topic("t"), acls: AclIndex([allow(bob, .create, .topic, "t")])))
    }

    @Test func denyWinsAndImpliesNothing() {
        let authorizer = StandardAuthorizer()
        let acls = AclIndex([allow(alice, .all, .topic, "orders"), deny(alice, .write, .topic, "orders")])
        #expect(!authorizer.authorize(alice, host: host, .write, .topic("orders"), acls: acls))
        #expect(authorizer.authorize(alice, host: host, .read, .topic("orders"), acls: acls))
        // A DENY for READ does not deny DESCRIBE, which WRITE... here ALL allows.
        let readDenied = AclIndex([allow(alice, .write, .topic, "t"), deny(alice, .read, .topic, "t")])
        #expect(authorizer.authorize(alice, host: host, .describe, .topic("t"), acls: readDenied))
        let allDenied = AclIndex([allow(alice, .read, .topic, "t"), deny(alice, .all, .topic, "t")])
        #expect(!authorizer.authorize(alice, host: host, .describe, .topic("t"), acls: allDenied))
        // A DENY on a wildcard or a prefix covers the resource too.
        let wildcardDeny = AclIndex([allow(alice, .read, .topic, "t"), deny(alice, .read, .topic, "*")])
        #expect(!authorizer.authorize(alice, host: host, .read, .topic("t"), acls: wildcardDeny))
    }

    @Test func literalWildcardAndPrefixedPatterns() {
        let authorizer = StandardAuthorizer()
        let acls = AclIndex([
            allow(alice, .read, .topic, "sales-", .prefixed),
            allow(bob, .write, .topic, "*"),
            allow(alice, .read, .group, "billing"),
            allow(alice, .write, .topic, "sales-eu"),
        ])
        #expect(authorizer.authorize(alice, host: host, .read, .topic("sales-eu"), acls: acls))
        #expect(authorizer.authorize(alice, host: host, .read, .topic("sales-"), acls: acls))
        #expect(!authorizer.authorize(alice, host: host, .read, .topic("sales"), acls: acls))
        #expect(!authorizer.authorize(alice, host: host, .read, .topic("presales-eu"), acls: acls))
        #expect(authorizer.authorize(bob, host: host, .write, .topic("anything"), acls: acls))
        #expect(authorizer.authorize(alice, host: host, .read, .group("billing"), acls: acls))
        #expect(!authorizer.authorize(alice, host: host, .read, .group("billing-2"), acls: acls))
        // A literal ACL on a prefix of the name does not apply to it.
        #expect(!authorizer.authorize(alice, host: host, .write, .topic("sales-eu-2"), acls: acls))
    }

    @Test func hostsAndTheWildcardPrincipal() {
        let authorizer = StandardAuthorizer()
        let acls = AclIndex([allow(alice, .read, .topic, "t", host: "10.0.0.7"), allow("User:*", .describe, .topic, "t")])
        #expect(authorizer.authorize(alice, host: "10.0.0.7", .read, .topic("t"), acls: acls))
        #expect(!authorizer.authorize(alice, host: "10.0.0.8", .read, .topic("t"), acls: acls))
        #expect(authorizer.authorize(bob, host: "10.0.0.8", .describe, .topic("t"), acls: acls))
        #expect(authorizer.authorize("User:CN=dave,O=acme", host: "::1", .describe, .topic("t"), acls: acls))
    }

    @Test func authorizedOperationsCountTheSupportedOnes() {
        let authorizer = StandardAuthorizer()
        #expect(StandardAuthorizer.allOperations(of: .topic).nonzeroBitCount == 8)
        #expect(StandardAuthorizer.allOperations(of: .cluster).nonzeroBitCount == 7)
        #expect(StandardAuthorizer.allOperations(of: .group) == (1 << 3) | (1 << 6) | (1 << 8))
        let acls = AclIndex([allow(alice, .read, .topic, "t"), allow(alice, .all, .cluster, "kafka-cluster")])
        #expect(authorizer.authorizedOperations(alice, host: host, .topic("t"), acls: acls)
                == AclOperation.read.bit | AclOperation.describe.bit)
        #expect(authorizer.authorizedOperations(alice, host: host, .cluster, acls: acls) == StandardAuthorizer.allOperations(of: .cluster))
        #expect(authorizer.authorizedOperations(bob, host: host, .topic("t"), acls: acls) == 0)
    }

    @Test func authorizeByResourceTypeAsKafkaDoesForInitProducerId() {
        let authorizer = StandardAuthorizer()
        func any(_ acls: [AclBinding], _ principal: String = "User:alice") -> Bool {
            authorizer.authorizeByResourceType(principal, host: host, .write, .topic, acls: AclIndex(acls))
        }
        #expect(!any([]))
        #expect(StandardAuthorizer(allowEveryoneIfNoAclFound: true).authorizeByResourceType(alice, host: host, .write, .topic, acls: AclIndex()))
        #expect(any([allow(alice, .write, .topic, "t")]))
        #expect(any([allow(alice, .all, .topic, "t")]))
        #expect(!any([allow(alice, .read, .topic, "t")]))
        #expect(!any([allow(alice, .write, .topic, "t"), deny(alice, .write, .topic, "t")]))
        #expect(!any([allow(alice, .write, .topic, "t-1"), deny(alice, .write, .topic, "t", .prefixed)]))
        #expect(any([allow(alice, .write, .topic, "t-1"), deny(alice, .write, .topic, "u", .prefixed)]))
        #expect(!any([allow(alice, .write, .topic, "*"), deny(alice, .write, .topic, "*")]))
        #expect(!any([allow(bob, .write, .topic, "t")]))
        #expect(any([allow("User:*", .write, .topic, "t")]))
    }

    @Test func indexInsertsOnceAndRemoves() {
        var index = AclIndex()
        let binding = allow(alice, .read, .topic, "t-", .prefixed)
        let first = index.insert(binding)
        let again = index.insert(binding)
        #expect(first && !again)
        #expect(index.count == 1)
        #expect(index.entries(applyingTo: .topic, "t-1").count == 1)
        let removedOther = index.remove(allow(alice, .read, .topic, "t-"))
        let removed = index.remove(binding)
        #expect(!removedOther && removed)
        #expect(index.isEmpty && index == AclIndex())
        #expect(index.entries(applyingTo: .topic, "t-1").isEmpty)
    }

    @Test func filtersMatchAsKafkasDo() {
        let literal = allow(alice, .read, .topic, "orders")
        let wildcard = allow(alice, .read, .topic, "*")
        let prefixed = allow(alice, .read, .topic, "ord", .prefixed)
        let group = allow(bob, .read, .group, "orders")
        let index = AclIndex([literal, wildcard, prefixed, group])
        #expect(index.bindings(matching: .all).count == 4)
        #expect(Set(index.bindings(matching: AclBindingFilter(resourceType: .topic, name: "orders", patternType: .match)))
                == [literal, wildcard, prefixed])
        #expect(index.bindings(matching: AclBindingFilter(name: "orders")) == [literal, group].sorted())
        #expect(index.bindings(matching: AclBindingFilter(patternType: .prefixed)) == [prefixed])
        #expect(index.bindings(matching: AclBindingFilter(principal: bob)) == [group])
        #expect(index.bindings(matching: AclBindingFilter(resourceType: .topic, name: "ord", patternType: .literal)).isEmpty)
        #expect(AclBindingFilter(operation: .unknown).invalidReason != nil)
        #expect(AclBindingFilter.all.invalidReason == nil)
    }

    @Test func namesParseAsKafkaAclsWritesThem() {
        #expect(AclOperation(name: "DescribeConfigs") == .describeConfigs)
        #expect(AclOperation(name: "IDEMPOTENT_WRITE") == .idempotentWrite)
        #expect(AclOperation(name: "read") == .read)
        #expect(AclOperation(name: "reed") == nil)
        #expect(AclResourceType(name: "TransactionalId") == .transactionalId)
        #expect(AclPatternType(name: "prefixed") == .prefixed)
        #expect(AclPermissionType(name: "Deny") == .deny)
    }

    @Test func invalidBindingsAreNamed() {
        #expect(allow(alice, .read, .topic, "t").invalidReason == nil)
        #expect(allow(alice, .any, .topic, "t").invalidReason != nil)
        #expect(allow("alice", .read, .topic, "t").invalidReason?.contains("no colon") == true)
        #expect(allow(alice, .read, .topic, "").invalidReason != nil)
        #expect(allow(alice, .read, .cluster, "c").invalidReason?.contains("kafka-cluster") == true)
        #expect(allow(alice, .read, .topic, "t", .match).invalidReason != nil)
    }
}
