import KafkaProtocol
import NIOCore
import SluiceSecurity

/// Requests a broker hands to the active controller as they are, at the client's version, and
/// whose answer it returns unchanged (Kafka's brokers forward these too):
///
/// - AlterPartitionReassignments (45) v0, ListPartitionReassignments (46) v0 — move replicas;
/// - UnregisterBroker (64) v0 — decommission;
/// - DescribeQuorum (55) v0-2 — the quorum as the controller sees it.
///
/// The controller channel follows the controller if it moves; if none answers within 30 s the
/// connection is closed (these responses have no generic error slot).
///
/// With `requires`, the principal needs that operation on the cluster (Kafka's check before it
/// forwards); `refused` builds the CLUSTER_AUTHORIZATION_FAILED answer otherwise.
struct ForwardingHandler<Request: KafkaRequest>: ApiHandler {
    static var versions: ClosedRange<Int16> { Request.apiKey.specVersions }
    let services: BrokerServices
    var requires: AclOperation? = nil
    var refused: (@Sendable (Request, ApiError) -> Request.Response)? = nil

    func handle(_ request: Request, context: RequestContext) -> EventLoopFuture<HandlerReply<Request.Response>> {
        if let requires, let refused, !services.authorize(context, requires, .cluster) {
            return reply(refused(request, .clusterAuthorizationFailed), context)
        }
        return services.cluster.client.sendFuture(request, version: context.apiVersion, timeoutMs: 30_000, on: context.eventLoop)
            .map { HandlerReply($0) }
    }
}
