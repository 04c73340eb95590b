import Foundation
import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceStorage

/// IncrementalAlterConfigs (key 44), versions 0-1.
///
/// - v0: per-config operations SET (0), DELETE (1, back to the default), APPEND (2) and
///   SUBTRACT (3) (list configs only, i.e. `cleanup.policy`), or only validate. v1: flexible.
/// - Topics (type 2): unknown topic → UNKNOWN_TOPIC_OR_PARTITION, bad value or operation →
///   INVALID_CONFIG, a config named twice → INVALID_REQUEST.
/// - Brokers (type 4, a broker id or "" for the cluster-wide defaults): dynamic broker configs
///   (``DynamicBrokerConfig``); a key that is not dynamically updatable → INVALID_REQUEST with
///   Kafka's message, an unknown key or a bad value → INVALID_CONFIG.
/// - Each resource is forwarded to the controller in turn; nothing blocks while it waits.
struct IncrementalAlterConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: BrokerServices

    typealias ResourceResult = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<IncrementalAlterConfigsResponse>> {
        let loop = context.eventLoop
        return loop.sequentially(request.resources) { [services] resource -> EventLoopFuture<ResourceResult> in
            let result = ResourceResult(errorCode: 0, errorMessage: nil, resourceType: resource.resourceType,
                                resourceName: resource.resourceName)
            if resource.resourceType == 4 {
                let configs: [String: String]
                do {
                    let current = services.metadata.brokerConfigs(resource: resource.resourceName)
                    let inForce = services.metadata.configInForce
                    configs = try Self.apply(resource.configs, to: current,
                                             currentValue: { current[$0] ?? BrokerConfigKey.named($0)?.read?(inForce) },
                                             isList: { BrokerConfigKey.named($0)?.type == .list })
                } catch {
                    return loop.makeSucceededFuture(Self.failed(result, ApiError(wrapping: error)))
                }
                return services.metadata.setBrokerConfigs(resource: resource.resourceName, to: configs,
                                                          validateOnly: request.validateOnly, on: loop)
                    .map { result }
                    .recover { Self.failed(result, ApiError(wrapping: $0)) }
            }
            let topic: TopicImage
            let configs: [String: String]
            if let refusal = services.alterConfigsRefusal(context, resourceType: resource.resourceType, name: resource.resourceName) {
                return loop.makeSucceededFuture(Self.failed(result, refusal))
            }
            do {
                guard resource.resourceType == 2 else {
                    throw ApiError(.invalidRequest, "Unsupported resource type \(resource.resourceType)")
                }
                guard let found = services.metadata.topic(resource.resourceName) else {
                    throw ApiError(.unknownTopicOrPartition, "The topic '\(resource.resourceName)' does not exist.")
                }
                topic = found
                let effective = services.metadata.logConfig(for: topic)
                configs = try Self.apply(resource.configs, to: topic.configs, currentValue: { effective.value(of: $0) },
                                         isList: { ConfigDescriber.type(of: $0) == .list })
            } catch {
                return loop.makeSucceededFuture(Self.failed(result, ApiError(wrapping: error)))
            }
            return services.metadata.setTopicConfigs(topic: topic.name, to: configs, validateOnly: request.validateOnly, on: loop)
                .map { result }
                .recover { Self.failed(result, ApiError(wrapping: $0)) }
        }.map { HandlerReply(IncrementalAlterConfigsResponse(responses: $0)) }
    }

    private static func failed(_ result: ResourceResult, _ error: ApiError) -> ResourceResult {
        var result = result
        result.errorCode = error.code.rawValue
        result.errorMessage = error.message
        return result
    }

    /// `current` (a resource's overrides) with the operations applied; APPEND and SUBTRACT start
    /// from the value in force (`currentValue`) and apply to list configs only.
    static func apply(_ operations: [IncrementalAlterConfigsRequest.AlterableConfig], to current: [String: String],
                      currentValue: (String) -> String?, isList: (String) -> Bool) throws -> [String: String] {
        var configs = current
        var seen: Set<String> = []
        for op in operations {
            guard seen.insert(op.name).inserted else {
                throw ApiError(.invalidRequest, "Error due to duplicate config keys")
            }
            let isList = isList(op.name)
            switch op.configOperation {
            case 0:
                guard let value = op.value else {
                    throw ApiError(.invalidRequest, "Null value not supported for : \(op.name)")
                }
                configs[op.name] = value
            case 1:
                configs[op.name] = nil
            case 2, 3:
                guard isList else {
                    throw ApiError(.invalidConfig, "Config value append is not allowed for config key: \(op.name)")
                }
                let existing = (configs[op.name] ?? currentValue(op.name) ?? "")
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let given = (op.value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let updated = op.configOperation == 2
                    ? existing + given.filter { !existing.contains($0) }
                    : existing.filter { !given.contains($0) }
                configs[op.name] = updated.joined(separator: ",")
            default:
                throw ApiError(.invalidRequest, "Unknown config operation \(op.configOperation)")
            }
        }
        return configs
    }
}
