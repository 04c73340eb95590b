import KafkaProtocol
import NIOCore
import SluiceSecurity

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
/// - A transactional id's coordinator (key type 1) is the leader of its `__transaction_state`
///   partition, created on the first lookup the same way; DESCRIBE on the transactional id
///   (TRANSACTIONAL_ID_AUTHORIZATION_FAILED). Share groups (key type 2) get INVALID_REQUEST.
struct FindCoordinatorHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...6
    let services: BrokerServices

    typealias Coordinator = FindCoordinatorResponse.Coordinator

    func handle(_ request: FindCoordinatorRequest,
                context: RequestContext) -> EventLoopFuture<HandlerReply<FindCoordinatorResponse>> {
        let version = context.apiVersion
        let keys = version >= 4 ? request.coordinatorKeys : [request.key]
        let keyType = version >= 1 ? request.keyType : 0
        guard keyType == 0 || keyType == 1 else {
            let answers = keys.map {
                Coordinator(key: $0, nodeId: -1, host: "", port: -1, errorCode: ErrorCode.invalidRequest.rawValue,
                            errorMessage: "Unsupported coordinator key type \(keyType)")
            }
            return reply(Self.response(answers, version: version), context)
        }
        let services = services
        let kind: CoordinatorKind = keyType == 0 ? .group : .transaction
        // DESCRIBE on each group (transactional id): refused keys are answered
        // GROUP_AUTHORIZATION_FAILED (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
        let denied = Set(keys.filter { !services.authorize(context, .describe, kind.resource($0)) })
        let answer: @Sendable (TopicImage?) -> HandlerReply<FindCoordinatorResponse> = { topic in
            HandlerReply(Self.response(keys.map { key in
                guard !denied.contains(key) else {
                    return Coordinator(key: key, nodeId: -1, host: "", port: -1, errorCode: kind.deniedError.rawValue,
                                       errorMessage: kind.deniedError == .groupAuthorizationFailed
                                           ? ApiError.groupAuthorizationFailed.message : "Transactional Id authorization failed.")
                }
                return Self.locate(key, kind: kind, topic: topic, services: services)
            }, version: version))
        }
        if let topic = services.metadata.topic(kind.topic) {
            return context.eventLoop.makeSucceededFuture(answer(topic))
        }
        if denied.count == keys.count { return context.eventLoop.makeSucceededFuture(answer(nil)) }
        let creation = kind == .group ? services.ensureOffsetsTopic(on: context.eventLoop)
                                      : services.ensureTransactionStateTopic(on: context.eventLoop)
        return creation.map(Optional.some).recover { _ in nil }.map(answer)
    }

    /// What a key names: a group (its coordinator leads its `__consumer_offsets` partition) or a
    /// transactional id (its `__transaction_state` partition).
    enum CoordinatorKind: Sendable {
        case group, transaction

        var topic: String { self == .group ? OffsetsTopic.name : TransactionStateTopic.name }
        var deniedError: ErrorCode { self == .group ? .groupAuthorizationFailed : .transactionalIdAuthorizationFailed }

        func resource(_ key: String) -> AclResource { self == .group ? .group(key) : .transactionalId(key) }

        func partition(for key: String, partitionCount: Int32) -> Int32 {
            self == .group ? OffsetsTopic.partition(for: key, partitionCount: partitionCount)
                : TransactionStateTopic.partition(for: key, partitionCount: partitionCount)
        }
    }

    /// The coordinator of one key: the broker that leads the key's partition.
    static func locate(_ groupId: String, kind: CoordinatorKind, topic: TopicImage?, services: BrokerServices) -> Coordinator {
        let unavailable = Coordinator(key: groupId, nodeId: -1, host: "", port: -1,
                                      errorCode: ErrorCode.coordinatorNotAvailable.rawValue,
                                      errorMessage: "The coordinator is not available.")
        guard let topic else { return unavailable }
        let partition = kind.partition(for: groupId, partitionCount: Int32(topic.partitions.count))
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
