import KafkaProtocol
import NIOCore

/// CreatePartitions (key 37), versions 0-3.
///
/// - v0-1: grow topics to a new partition count, optionally with replica assignments for the
///   new partitions, or only validate. v2+: flexible. v3: same as v2.
/// - Errors per topic: UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (not more than today),
///   INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST (a topic twice in one request).
struct CreatePartitionsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: BrokerServices

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreatePartitionsResponse>> {
        services.offLoop(context) { [services] in
            var counts: [String: Int] = [:]
            for topic in request.topics { counts[topic.name, default: 0] += 1 }
            var response = CreatePartitionsResponse()
            for topic in request.topics {
                var result = CreatePartitionsResponse.CreatePartitionsTopicResult(name: topic.name)
                do {
                    if counts[topic.name, default: 0] > 1 {
                        throw ApiError(.invalidRequest, "Duplicate topic in request: \(topic.name)")
                    }
                    try services.metadata.createPartitions(topic: topic.name, count: topic.count,
                                                           assignments: topic.assignments?.map(\.brokerIds),
                                                           validateOnly: request.validateOnly)
                } catch let error as ApiError {
                    result.errorCode = error.code.rawValue
                    result.errorMessage = error.message
                } catch {
                    result.errorCode = ErrorCode.unknownServerError.rawValue
                    result.errorMessage = "\(error)"
                }
                response.results.append(result)
            }
            return HandlerReply(response)
        }
    }
}
