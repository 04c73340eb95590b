import KafkaProtocol
import NIOCore

/// DescribeCluster (key 60), versions 0-1.
///
/// - v0: cluster id, controller id (this node) and the brokers (this node). Authorized
///   operations are not computed. v1: `endpoint_type`; asking this broker for controller
///   endpoints (2) gives MISMATCHED_ENDPOINT_TYPE, as Kafka's brokers answer.
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
        let advertised = services.advertised
        response.clusterId = services.metadata.snapshot.clusterId
        response.controllerId = services.nodeId
        response.brokers = [.init(brokerId: services.nodeId, host: advertised.host, port: Int32(advertised.port),
                                  rack: services.config.rack)]
        return reply(response, context)
    }
}
