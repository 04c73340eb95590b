import KafkaProtocol
import NIOCore

/// AlterConfigs (key 33), versions 0-2.
///
/// - v0-1: replaces all config overrides of each resource with the given set (configs not
///   listed return to their defaults), or only validates. v2+: flexible.
/// - Topic resources only (type 2): an unknown topic gives UNKNOWN_TOPIC_OR_PARTITION, an
///   invalid value INVALID_CONFIG. Broker resources (type 4) get INVALID_REQUEST: Sluice has no
///   dynamic broker configs (they are read-only, set in `broker.properties`).
struct AlterConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2
    let services: BrokerServices

    func handle(_ request: AlterConfigsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<AlterConfigsResponse>> {
        services.offLoop(context) { [services] in
            var response = AlterConfigsResponse()
            for resource in request.resources {
                var result = AlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: 0, errorMessage: nil, resourceType: resource.resourceType, resourceName: resource.resourceName)
                do {
                    guard resource.resourceType == 2 else {
                        throw ApiError(.invalidRequest, "Sluice brokers have no dynamic configs; only topic configs can be altered")
                    }
                    var configs: [String: String] = [:]
                    for config in resource.configs {
                        guard let value = config.value else {
                            throw ApiError(.invalidConfig, "Null value not supported for topic configs: \(config.name)")
                        }
                        configs[config.name] = value
                    }
                    try services.metadata.setTopicConfigs(topic: resource.resourceName, to: configs,
                                                          validateOnly: request.validateOnly)
                } catch let error as ApiError {
                    result.errorCode = error.code.rawValue
                    result.errorMessage = error.message
                } catch {
                    result.errorCode = ErrorCode.unknownServerError.rawValue
                    result.errorMessage = "\(error)"
                }
                response.responses.append(result)
            }
            return HandlerReply(response)
        }
    }
}
