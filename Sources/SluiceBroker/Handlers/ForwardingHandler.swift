import KafkaProtocol
import NIOCore

/// Requests a broker hands to the active controller as they are, at the client's version, and
/// whose answer it returns unchanged (Kafka's brokers forward these too):
///
/// - AlterPartitionReassignments (45) v0, ListPartitionReassignments (46) v0 — move replicas;
/// - UnregisterBroker (64) v0 — decommission;
/// - DescribeQuorum (55) v0-2 — the quorum as the controller sees it.
///
/// The controller channel follows the controller if it moves; if none answers within 30 s the
/// connection is closed (these responses have no generic error slot).
struct ForwardingHandler<Request: KafkaRequest>: ApiHandler {
    static var versions: ClosedRange<Int16> { Request.apiKey.specVersions }
    let services: BrokerServices

    func handle(_ request: Request, context: RequestContext) -> EventLoopFuture<HandlerReply<Request.Response>> {
        services.cluster.client.sendFuture(request, version: context.apiVersion, timeoutMs: 30_000, on: context.eventLoop)
            .map { HandlerReply($0) }
    }
}
