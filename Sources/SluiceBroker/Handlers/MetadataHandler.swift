import KafkaProtocol
import SluiceSecurity
import NIOCore
import SluiceBase
import SluiceStorage

/// Metadata (key 3), versions 0-12, from this broker's replicated metadata image.
///
/// - v0: an empty topic list means every topic. v1+: null means every topic, empty means none;
///   controller id (the active controller, -1 while there is none) and `is_internal`. v2+:
///   cluster id. v4+: `allow_auto_topic_creation` (before v4 auto-creation follows only
///   `auto.create.topics.enable`). v5+: offline replicas (replicas on fenced or unregistered
///   brokers). v7+: leader epoch. v8+: topic authorized operations when asked (v8-10 cluster
///   ones too): without an authorizer every operation the resource supports, with one the
///   allowed set (cluster: 0 without DESCRIBE on it). v9+: flexible. v10+: topic ids. v12:
///   topics may be asked for by id (null name); an unknown id gives UNKNOWN_TOPIC_ID.
/// - Authorization: listing every topic shows only those the principal may DESCRIBE; a named
///   topic it may not describe gets TOPIC_AUTHORIZATION_FAILED whether it exists or not; a
///   missing topic is auto-created only with CREATE on the cluster or on the topic
///   (TOPIC_AUTHORIZATION_FAILED otherwise).
/// - Brokers: the registered, unfenced brokers with their client endpoints (as Kafka lists
///   alive brokers). A partition without a leader has leader -1 and LEADER_NOT_AVAILABLE; so
///   has one this broker leads while cut off from the controller and its followers
///   (`BrokerServices.cutOffLeaderError`), and the connection closes after such an answer so that
///   the client asks another broker next.
/// - Unknown topics are created when allowed and their names are valid (INVALID_TOPIC_EXCEPTION
///   otherwise), through the controller; they come back fully created in the same response.
///   The request waits for the controller on futures (no thread is held meanwhile).
struct MetadataHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...12
    let services: BrokerServices

    func handle(_ request: MetadataRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<MetadataResponse>> {
        // A broker that has just (re)started has an empty or stale image: answering from it would tell
        // clients that topics do not exist. Kafka does not serve before catching up; closing the
        // connection sends the client to another broker.
        guard services.cluster.hasCaughtUp else {
            return context.eventLoop.makeFailedFuture(ApiError(.brokerNotAvailable, "this broker has not caught up with the metadata log yet"))
        }
        let version = context.apiVersion
        let snapshot = services.metadata.snapshot
        let allowAutoCreate = services.config.autoCreateTopicsEnable && (version < 4 || request.allowAutoTopicCreation)
        let wantsAll = request.topics == nil || (version == 0 && request.topics?.isEmpty == true)
        var denied: [String: ApiError] = [:]
        for case let name? in (wantsAll ? [] : (request.topics ?? []).map(\.name))
        where !services.authorize(context, .describe, topic: name) {
            denied[name] = .topicAuthorizationFailed(name)
        }
        var missing = wantsAll ? [] : (request.topics ?? []).compactMap { topic -> String? in
            guard let name = topic.name, snapshot.topics[name] == nil, denied[name] == nil else { return nil }
            return name
        }
        if allowAutoCreate && !missing.isEmpty && !services.authorize(context, .create, .cluster) {
            for name in missing where !services.authorize(context, .create, topic: name) {
                denied[name] = .topicAuthorizationFailed(name)
            }
            missing.removeAll { denied[$0] != nil }
        }
        let refusals = denied
        if allowAutoCreate && !missing.isEmpty {
            let loop = context.eventLoop
            return loop.sequentially(missing) { [services] name -> EventLoopFuture<(String, ApiError?)> in
                // The coordinators' topics with their own partition counts and configs.
                let creation: EventLoopFuture<TopicImage> = name == OffsetsTopic.name
                    ? services.ensureOffsetsTopic(on: loop)
                    : name == TransactionStateTopic.name
                    ? services.ensureTransactionStateTopic(on: loop)
                    : services.metadata.createTopic(TopicCreation(name: name), on: loop)
                return creation.map { _ in (name, nil) }.recover { error in
                    let apiError = ApiError(wrapping: error)
                    return (name, apiError.code == .topicAlreadyExists ? nil : apiError)
                }
            }.map { [services] outcomes in
                var creationErrors = refusals
                for case let (name, error?) in outcomes { creationErrors[name] = error }
                return HandlerReply(build(request, context: context, snapshot: services.metadata.snapshot,
                                          creationErrors: creationErrors))
            }
        }
        return reply(build(request, context: context, snapshot: snapshot, creationErrors: refusals), context)
    }

    /// The response; `creationErrors` also holds the topics refused by authorization.
    private func build(_ request: MetadataRequest, context: RequestContext, snapshot: MetadataImage,
                       creationErrors: [String: ApiError]) -> MetadataResponse {
        let version = context.apiVersion
        var response = MetadataResponse()
        response.brokers = Self.brokers(snapshot, services: services)
        response.clusterId = snapshot.clusterId
        response.controllerId = services.cluster.controllerId ?? -1
        if version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = services.authorize(context, .describe, .cluster)
                ? services.authorizedOperations(context, .cluster) : 0
        }
        response.topics = topics(request, context: context, snapshot: snapshot, creationErrors: creationErrors)
        // This broker's image is stale for the partitions it hides (cut off from the controller):
        // closing after the answer makes the client ask another broker next (librdkafka asks the
        // one it used last, and would otherwise wait here for a leader forever).
        if !services.cluster.lifecycle.holdsLease, response.topics.contains(where: { topic in
            topic.partitions.contains { p in
                p.leaderId < 0 && topic.name.flatMap { snapshot.partition(TopicPartition($0, p.partitionIndex))?.leader } == services.nodeId
            }
        }) {
            context.session?.requestClose(reason: "this broker is cut off from the controller and its followers")
        }
        if version >= 8 && request.includeTopicAuthorizedOperations {
            for index in response.topics.indices where response.topics[index].errorCode == 0 {
                if let name = response.topics[index].name {
                    response.topics[index].topicAuthorizedOperations = services.authorizedOperations(context, .topic(name))
                }
            }
        }
        return response
    }

    private func topics(_ request: MetadataRequest, context: RequestContext, snapshot: MetadataImage,
                        creationErrors: [String: ApiError]) -> [MetadataResponse.MetadataResponseTopic] {
        let version = context.apiVersion
        var topics: [MetadataResponse.MetadataResponseTopic] = []
        let wantsAll = request.topics == nil || (version == 0 && request.topics?.isEmpty == true)
        if wantsAll {
            return snapshot.topics.values.sorted { $0.name < $1.name }
                .filter { services.authorize(context, .describe, topic: $0.name) }
                .map { describe($0, snapshot) }
        }
        for requested in request.topics ?? [] {
            if let name = requested.name {
                if let refusal = creationErrors[name], refusal.code == .topicAuthorizationFailed {
                    topics.append(.init(errorCode: refusal.code.rawValue, name: name, topicId: .zero))
                } else if let topic = snapshot.topics[name] {
                    topics.append(describe(topic, snapshot))
                } else {
                    let error = creationErrors[name]
                        ?? (try? TopicValidation.validateName(name)).map { _ in ApiError(.unknownTopicOrPartition) }
                        ?? ApiError(.invalidTopicException)
                    topics.append(.init(errorCode: error.code.rawValue, name: name, topicId: .zero))
                }
            } else if let topic = snapshot.topic(id: requested.topicId) {
                guard services.authorize(context, .describe, topic: topic.name) else {
                    // Kafka does not say that an id it may not describe exists.
                    topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: nil,
                                                 topicId: requested.topicId))
                    continue
                }
                topics.append(describe(topic, snapshot))
            } else {
                topics.append(.init(errorCode: ErrorCode.unknownTopicId.rawValue, name: nil,
                                             topicId: requested.topicId))
            }
        }
        return topics
    }

    /// The unfenced brokers (this one always included once it serves requests).
    static func brokers(_ image: MetadataImage, services: BrokerServices) -> [MetadataResponse.MetadataResponseBroker] {
        var brokers = image.brokers.values.filter { !$0.fenced }.sorted { $0.id < $1.id }.compactMap { broker in
            broker.clientEndpoint.map { MetadataResponse.MetadataResponseBroker(nodeId: broker.id, host: $0.address.host, port: Int32($0.address.port), rack: broker.rack) }
        }
        if !brokers.contains(where: { $0.nodeId == services.nodeId }) {
            let advertised = services.advertised
            brokers.append(.init(nodeId: services.nodeId, host: advertised.host, port: Int32(advertised.port), rack: services.config.rack))
            brokers.sort { $0.nodeId < $1.nodeId }
        }
        return brokers
    }

    private func describe(_ topic: TopicImage, _ image: MetadataImage) -> MetadataResponse.MetadataResponseTopic {
        let partitions = topic.partitions.map { p in
            // A leader cut off from the controller and its followers does not name itself.
            let leader = p.leader == services.nodeId && services.cutOffLeaderError(TopicPartition(topic.name, p.partition)) != nil
                ? -1 : p.leader
            return MetadataResponse.MetadataResponsePartition(
                errorCode: leader < 0 ? ErrorCode.leaderNotAvailable.rawValue : 0, partitionIndex: p.partition,
                leaderId: leader, leaderEpoch: p.leaderEpoch, replicaNodes: p.replicas, isrNodes: p.isr,
                offlineReplicas: p.replicas.filter { image.brokers[$0].map { $0.fenced } ?? true })
        }
        return .init(errorCode: 0, name: topic.name, topicId: topic.id, isInternal: topic.isInternal, partitions: partitions)
    }
}
