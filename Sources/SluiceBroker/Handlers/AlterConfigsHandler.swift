import KafkaProtocol
import SluiceSecurity
import NIOCore

/// AlterConfigs (key 33), versions 0-2.
///
/// - v0-1: replaces all config overrides of each resource with the given set (configs not
///   listed return to their defaults), or only validates. v2+: flexible.
/// - Topics (type 2): an unknown topic gives UNKNOWN_TOPIC_OR_PARTITION, an invalid value
///   INVALID_CONFIG. Brokers (type 4, an id or "" for the cluster-wide defaults): the resource's
///   whole set of dynamic broker configs (``DynamicBrokerConfig``); keys that are not dynamically
///   updatable get INVALID_REQUEST with Kafka's message.
/// - Each resource is forwarded to the controller in turn; nothing blocks while it waits.
struct AlterConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2
    let services: BrokerServices

    typealias ResourceResult = AlterConfigsResponse.AlterConfigsResourceResponse

    func handle(_ request: AlterConfigsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<AlterConfigsResponse>> {
        let loop = context.eventLoop
        return loop.sequentially(request.resources) { [services] resource -> EventLoopFuture<ResourceResult> in
            let result = ResourceResult(errorCode: 0, errorMessage: nil, resourceType: resource.resourceType,
                                resourceName: resource.resourceName)
            let configs: [String: String]
            // ALTER_CONFIGS on the topic, or on the cluster for broker resources.
            if let refusal = services.alterConfigsRefusal(context, resourceType: resource.resourceType, name: resource.resourceName) {
                return loop.makeSucceededFuture(Self.failed(result, refusal))
            }
            do {
                configs = try Self.overrides(resource)
            } catch {
                return loop.makeSucceededFuture(Self.failed(result, ApiError(wrapping: error)))
            }
            let change = resource.resourceType == 4
                ? services.metadata.setBrokerConfigs(resource: resource.resourceName, to: configs,
                                                     validateOnly: request.validateOnly, on: loop)
                : services.metadata.setTopicConfigs(topic: resource.resourceName, to: configs,
                                                    validateOnly: request.validateOnly, on: loop)
            return change
                .map { result }
                .recover { Self.failed(result, ApiError(wrapping: $0)) }
        }.map { HandlerReply(AlterConfigsResponse(responses: $0)) }
    }

    /// The resource's new override set; topics and brokers, no null values.
    private static func overrides(_ resource: AlterConfigsRequest.AlterConfigsResource) throws -> [String: String] {
        guard resource.resourceType == 2 || resource.resourceType == 4 else {
            throw ApiError(.invalidRequest, "Unsupported resource type \(resource.resourceType)")
        }
        var configs: [String: String] = [:]
        for config in resource.configs {
            guard let value = config.value else {
                throw ApiError(.invalidConfig, "Null value not supported for configs: \(config.name)")
            }
            configs[config.name] = value
        }
        return configs
    }

    private static func failed(_ result: ResourceResult, _ error: ApiError) -> ResourceResult {
        var result = result
        result.errorCode = error.code.rawValue
        result.errorMessage = error.message
        return result
    }
}
