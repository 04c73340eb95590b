import Foundation
import KafkaProtocol
import NIOCore
import SluiceStorage

/// IncrementalAlterConfigs (key 44), versions 0-1.
///
/// - v0: per-config operations SET (0), DELETE (1, back to the default), APPEND (2) and
///   SUBTRACT (3) (list configs only, i.e. `cleanup.policy`), or only validate. v1: flexible.
/// - Topic resources only (type 2): unknown topic → UNKNOWN_TOPIC_OR_PARTITION, bad value or
///   operation → INVALID_CONFIG, a config named twice → INVALID_REQUEST. Broker resources get
///   INVALID_REQUEST (no dynamic broker configs in Sluice).
struct IncrementalAlterConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: BrokerServices

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<IncrementalAlterConfigsResponse>> {
        services.offLoop(context) { [services] in
            var response = IncrementalAlterConfigsResponse()
            for resource in request.resources {
                var result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: 0, errorMessage: nil, resourceType: resource.resourceType, resourceName: resource.resourceName)
                do {
                    guard resource.resourceType == 2 else {
                        throw ApiError(.invalidRequest, "Sluice brokers have no dynamic configs; only topic configs can be altered")
                    }
                    guard let topic = services.metadata.topic(resource.resourceName) else {
                        throw ApiError(.unknownTopicOrPartition, "The topic '\(resource.resourceName)' does not exist.")
                    }
                    let configs = try Self.apply(resource.configs, to: topic.configs,
                                                 effective: services.metadata.logConfig(for: topic))
                    try services.metadata.setTopicConfigs(topic: topic.name, to: configs, validateOnly: request.validateOnly)
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

    static func apply(_ operations: [IncrementalAlterConfigsRequest.AlterableConfig], to current: [String: String],
                      effective: SluiceStorage.LogConfig) throws -> [String: String] {
        var configs = current
        var seen: Set<String> = []
        for op in operations {
            guard seen.insert(op.name).inserted else {
                throw ApiError(.invalidRequest, "Error due to duplicate config keys")
            }
            let isList = ConfigDescriber.type(of: op.name) == .list
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
                let existing = (configs[op.name] ?? effective.value(of: op.name) ?? "")
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
