import KafkaProtocol
import NIOCore

/// DescribeConfigs (key 32), versions 0-4.
///
/// - v0: values with `is_default`. v1+: `config_source` and, when asked, synonyms (topic
///   override, static broker setting, default). v3+: config types and (empty) documentation.
///   v4+: flexible.
/// - Resources: topics (type 2; unknown → UNKNOWN_TOPIC_OR_PARTITION) and this broker (type 4,
///   by node id or "" for the defaults; another id → INVALID_REQUEST). Broker logger (8) and
///   other types → INVALID_REQUEST.
struct DescribeConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    func handle(_ request: DescribeConfigsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeConfigsResponse>> {
        let describer = ConfigDescriber(services: services)
        let version = context.apiVersion
        var response = DescribeConfigsResponse()
        for resource in request.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(
                errorCode: 0, errorMessage: nil, resourceType: resource.resourceType, resourceName: resource.resourceName)
            switch resource.resourceType {
            case 2:
                if let topic = services.metadata.topic(resource.resourceName) {
                    result.configs = describer.describe(topic, keys: resource.configurationKeys,
                                                        includeSynonyms: request.includeSynonyms, version: version)
                } else {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "Topic \(resource.resourceName) does not exist."
                }
            case 4 where resource.resourceName.isEmpty || resource.resourceName == String(services.nodeId):
                result.configs = describer.describeBroker(keys: resource.configurationKeys,
                                                          includeSynonyms: request.includeSynonyms)
            case 4:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unexpected broker id, expected \(services.nodeId) but received \(resource.resourceName)"
            default:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unsupported resource type \(resource.resourceType)"
            }
            response.results.append(result)
        }
        return reply(response, context)
    }
}
