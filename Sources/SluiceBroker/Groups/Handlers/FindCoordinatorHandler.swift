import KafkaProtocol
import NIOCore

/// FindCoordinator (key 10), versions 0-6.
///
/// - v0: a group id; v1: a key type (0 group, 1 transaction), throttle time and an error message;
///   v2: same; v3: flexible; v4: several keys at once (KIP-699), answered per key; v5-6: same
///   layout (v6 adds share-group keys).
/// - A group's coordinator is the leader of its `__consumer_offsets` partition (another broker
///   of the cluster, when it leads it),
///   `abs(hash(group)) % partitions`. The topic is created on the first lookup, as Kafka does;
///   Kafka answers COORDINATOR_NOT_AVAILABLE while it creates it, Sluice creates it at once and
///   answers with itself (the groups then load; requests meanwhile get
///   COORDINATOR_LOAD_IN_PROGRESS, which clients retry).
/// - Sluice has no transaction or share coordinator: those key types get INVALID_REQUEST.
struct FindCoordinatorHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...6
    let services: BrokerServices

    typealias Coordinator = FindCoordinatorResponse.Coordinator

    func handle(_ request: FindCoordinatorRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<FindCoordinatorResponse>> {
        let version = context.apiVersion
        let keys = version >= 4 ? request.coordinatorKeys : [request.key]
        let keyType = version >= 1 ? request.keyType : 0
        guard keyType == 0 else {
            let message = keyType == 1 ? "Sluice does not support transactions" : "Unsupported coordinator key type \(keyType)"
            let answers = keys.map {
                Coordinator(key: $0, nodeId: -1, host: "", port: -1, errorCode: ErrorCode.invalidRequest.rawValue,
                            errorMessage: message)
            }
            return reply(Self.response(answers, version: version), context)
        }
        let services = services
        if services.metadata.topic(OffsetsTopic.name) == nil {
            return services.ensureOffsetsTopic(on: context.eventLoop)
                .map(Optional.some)
                .recover { _ in nil }
                .map { topic in
                    HandlerReply(Self.response(keys.map { Self.locate($0, topic: topic, services: services) }, version: version))
                }
        }
        let topic = services.metadata.topic(OffsetsTopic.name)
        return reply(Self.response(keys.map { Self.locate($0, topic: topic, services: services) }, version: version),
                     context)
    }

    /// The coordinator of one group: the broker that leads the group's partition.
    static func locate(_ groupId: String, topic: TopicImage?, services: BrokerServices) -> Coordinator {
        let unavailable = Coordinator(key: groupId, nodeId: -1, host: "", port: -1,
                                      errorCode: ErrorCode.coordinatorNotAvailable.rawValue,
                                      errorMessage: "The coordinator is not available.")
        guard let topic else { return unavailable }
        let partition = OffsetsTopic.partition(for: groupId, partitionCount: Int32(topic.partitions.count))
        let leader = topic.partitions[Int(partition)].leader
        guard leader == services.nodeId else {
            guard let broker = services.metadata.snapshot.brokers[leader], !broker.fenced,
                  let endpoint = broker.clientEndpoint else { return unavailable }
            return Coordinator(key: groupId, nodeId: leader, host: endpoint.address.host, port: Int32(endpoint.address.port), errorCode: 0, errorMessage: nil)
        }
        let advertised = services.advertised
        return Coordinator(key: groupId, nodeId: services.nodeId, host: advertised.host, port: Int32(advertised.port),
                           errorCode: 0, errorMessage: nil)
    }

    /// Before v4 the single answer is spread over the top-level fields.
    static func response(_ answers: [Coordinator], version: Int16) -> FindCoordinatorResponse {
        if version >= 4 { return FindCoordinatorResponse(coordinators: answers) }
        let a = answers.first ?? Coordinator(nodeId: -1, host: "", port: -1,
                                             errorCode: ErrorCode.invalidRequest.rawValue)
        return FindCoordinatorResponse(errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId,
                                       host: a.host, port: a.port)
    }
}
