import KafkaProtocol
import SluiceSecurity
import NIOCore

/// DescribeConfigs (key 32), versions 0-4.
///
/// - v0: values with `is_default`. v1+: `config_source` and, when asked, synonyms (topic
///   override, static broker setting, default). v3+: config types and, when
///   `include_documentation`, each config's documentation line. v4+: flexible.
/// - Topics (type 2; unknown → UNKNOWN_TOPIC_OR_PARTITION): every topic config.
/// - This broker (type 4, by node id): every key of `BrokerConfigKey.table` with the value in
///   force and its source — `DYNAMIC_BROKER_CONFIG`, `DYNAMIC_DEFAULT_BROKER_CONFIG` (set with
///   AlterConfigs / IncrementalAlterConfigs), `STATIC_BROKER_CONFIG` (broker.properties or the
///   command line), `DEFAULT_CONFIG` —, Kafka's synonyms in that order, read-only unless Kafka can
///   change the key at run time, passwords null and sensitive. An empty name asks for the
///   cluster-wide dynamic defaults: the keys set (none: no entries, as Kafka answers). Another id
///   or a non-numeric name → INVALID_REQUEST. Broker loggers (8) and
///   other types → INVALID_REQUEST.
struct DescribeConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...4
    let services: BrokerServices

    func handle(_ request: DescribeConfigsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DescribeConfigsResponse>> {
        let describer = ConfigDescriber(services: services)
        let version = context.apiVersion
        let documentation = version >= 3 && request.includeDocumentation
        var response = DescribeConfigsResponse()
        for resource in request.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(
                errorCode: 0, errorMessage: nil, resourceType: resource.resourceType, resourceName: resource.resourceName)
            // DESCRIBE_CONFIGS on the topic, or on the cluster for broker resources.
            let allowed = resource.resourceType == 2 ? services.authorize(context, .describeConfigs, topic: resource.resourceName)
                : resource.resourceType == 4 ? services.authorize(context, .describeConfigs, .cluster) : true
            switch resource.resourceType {
            case _ where !allowed:
                let refusal: ApiError = resource.resourceType == 2 ? .topicAuthorizationFailed(resource.resourceName) : .clusterAuthorizationFailed
                result.errorCode = refusal.code.rawValue
                result.errorMessage = refusal.message
            case 2:
                if let topic = services.metadata.topic(resource.resourceName) {
                    result.configs = describer.describe(topic, keys: resource.configurationKeys,
                                                        includeSynonyms: request.includeSynonyms, version: version,
                                                        includeDocumentation: documentation)
                } else {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "Topic \(resource.resourceName) does not exist."
                }
            case 4 where resource.resourceName.isEmpty:
                result.configs = describer.describeBrokerDefaults(keys: resource.configurationKeys,
                                                                  includeSynonyms: request.includeSynonyms,
                                                                  includeDocumentation: documentation)
            case 4 where Int32(resource.resourceName) == services.nodeId:
                result.configs = describer.describeBroker(keys: resource.configurationKeys,
                                                          includeSynonyms: request.includeSynonyms,
                                                          includeDocumentation: documentation)
            case 4 where Int32(resource.resourceName) == nil:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Broker id must be an integer, but it is: \(resource.resourceName)"
            case 4:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unexpected broker id, expected \(services.nodeId) or empty string, but received \(resource.resourceName)"
            default:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unsupported resource type \(resource.resourceType)"
            }
            response.results.append(result)
        }
        return reply(response, context)
    }
}
