import KafkaProtocol
import SluiceSecurity

// ACLs between the wire (CreateAcls, DescribeAcls, DeleteAcls) and the authorizer's model. A code
// this broker does not know reads as UNKNOWN, which validation answers with INVALID_REQUEST.

extension AclBinding {
    init(_ creation: CreateAclsRequest.AclCreation) {
        self.init(AclResourcePattern(AclResourceType(code: creation.resourceType) ?? .unknown, creation.resourceName,
                                     AclPatternType(code: creation.resourcePatternType) ?? .unknown),
                  AccessControlEntry(principal: creation.principal, host: creation.host,
                                     operation: AclOperation(code: creation.operation) ?? .unknown,
                                     permission: AclPermissionType(code: creation.permissionType) ?? .unknown))
    }
}

extension AclBindingFilter {
    init(resourceType: Int8, name: String?, patternType: Int8, principal: String?, host: String?,
         operation: Int8, permission: Int8) {
        self.init(resourceType: AclResourceType(code: resourceType) ?? .unknown, name: name,
                  patternType: AclPatternType(code: patternType) ?? .unknown, principal: principal, host: host,
                  operation: AclOperation(code: operation) ?? .unknown,
                  permission: AclPermissionType(code: permission) ?? .unknown)
    }

    init(_ request: DescribeAclsRequest) {
        self.init(resourceType: request.resourceTypeFilter, name: request.resourceNameFilter,
                  patternType: request.patternTypeFilter, principal: request.principalFilter, host: request.hostFilter,
                  operation: request.operation, permission: request.permissionType)
    }

    init(_ filter: DeleteAclsRequest.DeleteAclsFilter) {
        self.init(resourceType: filter.resourceTypeFilter, name: filter.resourceNameFilter,
                  patternType: filter.patternTypeFilter, principal: filter.principalFilter, host: filter.hostFilter,
                  operation: filter.operation, permission: filter.permissionType)
    }
}

extension DescribeAclsResponse {
    /// The bindings grouped by resource pattern, as Kafka answers them.
    static func resources(_ bindings: [AclBinding]) -> [DescribeAclsResource] {
        var order: [AclResourcePattern] = []
        var byPattern: [AclResourcePattern: [AclDescription]] = [:]
        for binding in bindings {
            if byPattern[binding.pattern] == nil { order.append(binding.pattern) }
            byPattern[binding.pattern, default: []].append(
                AclDescription(principal: binding.entry.principal, host: binding.entry.host,
                               operation: binding.entry.operation.code, permissionType: binding.entry.permission.code))
        }
        return order.map { pattern in
            DescribeAclsResource(resourceType: pattern.resourceType.code, resourceName: pattern.name,
                                 patternType: pattern.patternType.code, acls: byPattern[pattern] ?? [])
        }
    }
}

extension DeleteAclsResponse.DeleteAclsMatchingAcl {
    init(_ binding: AclBinding) {
        self.init(errorCode: 0, errorMessage: nil, resourceType: binding.pattern.resourceType.code,
                  resourceName: binding.pattern.name, patternType: binding.pattern.patternType.code,
                  principal: binding.entry.principal, host: binding.entry.host, operation: binding.entry.operation.code,
                  permissionType: binding.entry.permission.code)
    }
}
