import KafkaProtocol
import NIOCore
import SluiceSecurity

/// DescribeClientQuotas (48), versions 0-1 (v1+: flexible), answered from this broker's metadata
/// image as Kafka's brokers do: the entities the filter selects (``ClientQuotaFilter``) with
/// their keys and values. Needs DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED);
/// a bad filter answers INVALID_REQUEST or UNSUPPORTED_VERSION with Kafka's message and no entries.
struct DescribeClientQuotasHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: BrokerServices

    func handle(_ request: DescribeClientQuotasRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<DescribeClientQuotasResponse>> {
        var response = DescribeClientQuotasResponse()
        response.errorMessage = nil
        do throws(ApiError) {
            guard services.authorize(context, .describeConfigs, .cluster) else { throw .clusterAuthorizationFailed }
            let filter = try ClientQuotaFilter(request)
            response.entries = services.cluster.view.image.clientQuotas.describe(filter).map { entity, values in
                .init(entity: entity.components.map { .init(entityType: $0.type, entityName: $0.name) },
                      values: values.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) })
            }
        } catch {
            response.errorCode = error.code.rawValue
            response.errorMessage = error.message
            response.entries = nil
        }
        return reply(response, context)
    }
}

/// AlterClientQuotas (49), versions 0-1: needs ALTER_CONFIGS on the cluster (every entry
/// CLUSTER_AUTHORIZATION_FAILED otherwise), then forwarded to the active controller
/// (``ControllerAlterClientQuotasHandler``), which validates and commits it. The answer waits
/// (up to 10 s) until this broker's image shows the accepted changes, so that a describe sent
/// here next sees them.
struct AlterClientQuotasHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...1
    let services: BrokerServices

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<AlterClientQuotasResponse>> {
        guard services.authorize(context, .alterConfigs, .cluster) else {
            let errors = [ApiError?](repeating: .clusterAuthorizationFailed, count: request.entries.count)
            return reply(.answering(request, errors: errors), context)
        }
        let metadata = services.metadata
        let eventLoop = context.eventLoop
        return services.cluster.client.sendFuture(request, version: context.apiVersion, timeoutMs: 30_000, on: eventLoop)
            .flatMap { response in
                guard !request.validateOnly else { return eventLoop.makeSucceededFuture(HandlerReply(response)) }
                // The changes the controller accepted, as this broker's image must show them.
                let expected = zip(request.entries, response.entries).compactMap { entry, result -> (ClientQuotaEntity, [(String, Double?)])? in
                    guard result.errorCode == 0 else { return nil }
                    let alteration = Controller.QuotaAlteration(entity: entry.entity.map { ($0.entityType, $0.entityName) },
                                                                ops: entry.ops.map { ($0.key, $0.remove ? nil : $0.value) })
                    return try? Controller.validate(alteration).get()
                }
                guard !expected.isEmpty else { return eventLoop.makeSucceededFuture(HandlerReply(response)) }
                return metadata.awaitImage(on: eventLoop) { image in
                    expected.allSatisfy { entity, ops in ops.allSatisfy { image.clientQuotas.value(entity, $0.0) == $0.1 } }
                }.map { HandlerReply(response) }
            }
    }
}
