import KafkaProtocol
import NIOCore
import SluiceSecurity

/// DescribeUserScramCredentials (50), version 0, answered from this broker's metadata image (as
/// Kafka's brokers do): each user's mechanisms and iteration counts — never salts or keys. A null
/// or empty list describes every user; an unknown user gets RESOURCE_NOT_FOUND, a user named twice
/// DUPLICATE_RESOURCE.
struct DescribeUserScramCredentialsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let services: BrokerServices

    func handle(_ request: DescribeUserScramCredentialsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<DescribeUserScramCredentialsResponse>> {
        let credentials = services.cluster.view.image.scramCredentials
        var response = DescribeUserScramCredentialsResponse()
        guard services.authorize(context, .describe, .cluster) else {
            response.errorCode = ErrorCode.clusterAuthorizationFailed.rawValue
            response.errorMessage = ApiError.clusterAuthorizationFailed.message
            return reply(response, context)
        }
        response.errorMessage = nil
        let requested = request.users?.map(\.name) ?? []
        let names = requested.isEmpty ? credentials.keys.sorted() : requested
        var counts: [String: Int] = [:]
        for name in requested { counts[name, default: 0] += 1 }
        var described: Set<String> = []
        for name in names where described.insert(name).inserted {
            var result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult(user: name, errorMessage: nil)
            if counts[name, default: 0] > 1 {
                result.errorCode = ErrorCode.duplicateResource.rawValue
                result.errorMessage = "Cannot describe SCRAM credentials for the same user twice in a single request"
            } else if let mechanisms = credentials[name] {
                result.credentialInfos = mechanisms.sorted { $0.key < $1.key }.map {
                    .init(mechanism: $0.key.wireType, iterations: $0.value.iterations)
                }
            } else {
                result.errorCode = ErrorCode.resourceNotFound.rawValue
                result.errorMessage = "Attempt to describe a user credential that does not exist"
            }
            response.results.append(result)
        }
        return reply(response, context)
    }
}
