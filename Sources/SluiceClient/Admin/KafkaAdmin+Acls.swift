import KafkaProtocol
import SluiceSecurity

/// The ACL APIs (CreateAcls, DescribeAcls, DeleteAcls) as Kafka's AdminClient offers them:
/// `createAcls`, `describeAcls(filter)`, `deleteAcls(filters)`.
///
///     let admin = KafkaAdmin(client: client)
///     try await admin.createAcls([AclBinding(AclResourcePattern(.topic, "orders"),
///         AccessControlEntry(principal: "User:alice", operation: .read, permission: .allow))])
///     let all = try await admin.describeAcls(.all)
extension KafkaAdmin {
    /// Creates ACLs; throws the first refused one's error (CLUSTER_AUTHORIZATION_FAILED without
    /// ALTER on the cluster, SECURITY_DISABLED without an authorizer, INVALID_REQUEST ...).
    public func createAcls(_ bindings: [AclBinding]) async throws {
        var request = CreateAclsRequest()
        request.creations = bindings.map { binding in
            .init(resourceType: binding.pattern.resourceType.code, resourceName: binding.pattern.name,
                  resourcePatternType: binding.pattern.patternType.code, principal: binding.entry.principal,
                  host: binding.entry.host, operation: binding.entry.operation.code,
                  permissionType: binding.entry.permission.code)
        }
        let response = try await client.withRetries("CreateAcls") { try await client.anyConnection().send(request) }
        for (binding, result) in zip(bindings, response.results) {
            try ErrorCode(result.errorCode).check(resource: "ACL \(binding)", message: result.errorMessage)
        }
    }

    /// The ACLs a filter matches.
    public func describeAcls(_ filter: AclBindingFilter) async throws -> [AclBinding] {
        let request = DescribeAclsRequest(
            resourceTypeFilter: filter.resourceType.code, resourceNameFilter: filter.name,
            patternTypeFilter: filter.patternType.code, principalFilter: filter.principal, hostFilter: filter.host,
            operation: filter.operation.code, permissionType: filter.permission.code)
        let response = try await client.withRetries("DescribeAcls") { try await client.anyConnection().send(request) }
        try ErrorCode(response.errorCode).check(resource: "ACLs", message: response.errorMessage)
        return response.resources.flatMap { resource in
            resource.acls.map { acl in
                AclBinding(AclResourcePattern(AclResourceType(code: resource.resourceType) ?? .unknown, resource.resourceName,
                                              AclPatternType(code: resource.patternType) ?? .unknown),
                           AccessControlEntry(principal: acl.principal, host: acl.host,
                                              operation: AclOperation(code: acl.operation) ?? .unknown,
                                              permission: AclPermissionType(code: acl.permissionType) ?? .unknown))
            }
        }.sorted()
    }

    /// Deletes every ACL the filters match and returns them.
    public func deleteAcls(_ filters: [AclBindingFilter]) async throws -> [AclBinding] {
        var request = DeleteAclsRequest()
        request.filters = filters.map { filter in
            .init(resourceTypeFilter: filter.resourceType.code, resourceNameFilter: filter.name,
                  patternTypeFilter: filter.patternType.code, principalFilter: filter.principal, hostFilter: filter.host,
                  operation: filter.operation.code, permissionType: filter.permission.code)
        }
        let response = try await client.withRetries("DeleteAcls") { try await client.anyConnection().send(request) }
        var deleted: [AclBinding] = []
        for result in response.filterResults {
            try ErrorCode(result.errorCode).check(resource: "ACLs", message: result.errorMessage)
            for acl in result.matchingAcls {
                try ErrorCode(acl.errorCode).check(resource: "ACL", message: acl.errorMessage)
                deleted.append(AclBinding(
                    AclResourcePattern(AclResourceType(code: acl.resourceType) ?? .unknown, acl.resourceName,
                                       AclPatternType(code: acl.patternType) ?? .unknown),
                    AccessControlEntry(principal: acl.principal, host: acl.host,
                                       operation: AclOperation(code: acl.operation) ?? .unknown,
                                       permission: AclPermissionType(code: acl.permissionType) ?? .unknown)))
            }
        }
        return Array(Set(deleted)).sorted()
    }
}
