import KafkaProtocol
import SluiceSecurity
import NIOCore

/// DescribeCluster (key 60), versions 0-1.
///
/// - v0: cluster id, the active controller's id (-1 while there is none) and the unfenced
///   brokers, from the replicated metadata image. Authorized operations when asked: without
///   an authorizer all 7 cluster operations, with one those the principal may perform (0 when it
///   may not DESCRIBE the cluster), as Kafka answers.
///   v1: `endpoint_type`; asking a broker for controller endpoints (2) gives
///   MISMATCHED_ENDPOINT_TYPE, as Kafka's brokers answer.
struct DescribeClusterHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: BrokerServices

    func handle(_ request: DescribeClusterRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeClusterResponse>> {
        var response = DescribeClusterResponse()
        response.endpointType = request.endpointType
        if context.apiVersion >= 1 && request.endpointType != 1 {
            response.errorCode = ErrorCode.mismatchedEndpointType.rawValue
            response.errorMessage = "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
            return reply(response, context)
        }
        let image = services.metadata.snapshot
        response.clusterId = image.clusterId ?? ""
        response.controllerId = services.cluster.controllerId ?? -1
        response.brokers = MetadataHandler.brokers(image, services: services).map {
            .init(brokerId: $0.nodeId, host: $0.host, port: $0.port, rack: $0.rack)
        }
        if request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = services.authorize(context, .describe, .cluster)
                ? services.authorizedOperations(context, .cluster) : 0
        }
        return reply(response, context)
    }
}
