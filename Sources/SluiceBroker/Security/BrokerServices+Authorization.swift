import KafkaProtocol
import SluiceSecurity

/// Authorization as every handler asks it: the configured ``StandardAuthorizer`` over the ACLs of
/// the broker's current metadata image, for the request's principal and client address. Without
/// an authorizer (`authorizer.class.name` empty) everything is allowed, as in Kafka.
extension BrokerServices {
    /// Whether the request's principal may perform `operation` on `resource`.
    func authorize(_ context: RequestContext, _ operation: AclOperation, _ resource: AclResource) -> Bool {
        guard let authorizer = config.authorizer else { return true }
        return authorizer.authorize(context.principal.description, host: context.clientIP, operation, resource,
                                    acls: cluster.view.image.acls)
    }

    func authorize(_ context: RequestContext, _ operation: AclOperation, topic: String) -> Bool {
        authorize(context, operation, .topic(topic))
    }

    /// Whether the principal may perform `operation` on some resource of `type` (Kafka's
    /// `authorizeByResourceType`).
    func authorizeByResourceType(_ context: RequestContext, _ operation: AclOperation, _ type: AclResourceType) -> Bool {
        guard let authorizer = config.authorizer else { return true }
        return authorizer.authorizeByResourceType(context.principal.description, host: context.clientIP, operation, type,
                                                  acls: cluster.view.image.acls)
    }

    /// The authorized-operations bit field of `resource`: without an authorizer every operation
    /// the resource type supports (8 for a topic, 7 for the cluster), with one the allowed set.
    func authorizedOperations(_ context: RequestContext, _ resource: AclResource) -> Int32 {
        guard let authorizer = config.authorizer else { return StandardAuthorizer.allOperations(of: resource.type) }
        return authorizer.authorizedOperations(context.principal.description, host: context.clientIP, resource,
                                               acls: cluster.view.image.acls)
    }

    /// Why the principal may not alter the configs of a resource (ALTER_CONFIGS on the topic, or on
    /// the cluster for a broker resource), or nil.
    func alterConfigsRefusal(_ context: RequestContext, resourceType: Int8, name: String) -> ApiError? {
        switch resourceType {
        case 2: return authorize(context, .alterConfigs, topic: name) ? nil : .topicAuthorizationFailed(name)
        case 4, 8: return authorize(context, .alterConfigs, .cluster) ? nil : .clusterAuthorizationFailed
        default: return nil
        }
    }

    /// Whether the request may use the inter-broker side of an API (follower fetches): CLUSTER_ACTION
    /// on the cluster, which brokers have as super users.
    func authorizeClusterAction(_ context: RequestContext) -> Bool {
        authorize(context, .clusterAction, .cluster)
    }
}

extension RequestContext {
    /// The client's IP address alone (`10.0.0.7`): what an ACL's host is compared with.
    var clientIP: String {
        let host = clientHost
        return host.hasPrefix("/") ? String(host.dropFirst()) : host
    }
}

extension ApiError {
    static func topicAuthorizationFailed(_ topic: String? = nil) -> ApiError {
        ApiError(.topicAuthorizationFailed, topic.map { "Not authorized to access topic \($0)." } ?? "Not authorized to access topics.")
    }

    static let clusterAuthorizationFailed = ApiError(.clusterAuthorizationFailed, "Cluster authorization failed.")
    static let groupAuthorizationFailed = ApiError(.groupAuthorizationFailed, "Not authorized to access group.")
}
