import KafkaProtocol
import NIOCore
import SluiceStorage

/// Metadata (key 3), versions 0-12.
///
/// - v0: an empty topic list means every topic. v1+: null means every topic, empty means none;
///   controller id and `is_internal`. v2+: cluster id. v4+: `allow_auto_topic_creation` (before
///   v4 auto-creation follows only `auto.create.topics.enable`). v5+: offline replicas (none).
///   v7+: leader epoch. v8-10: authorized operations are not computed (left at "unknown").
///   v9+: flexible. v10+: topic ids. v12: topics may be asked for by id (null name); an unknown
///   id gives UNKNOWN_TOPIC_ID.
/// - Unknown topics are created when allowed and their names are valid (INVALID_TOPIC_EXCEPTION
///   otherwise); they come back fully created in the same response. Creation blocks on disk, so
///   a request that creates topics runs on the I/O pool.
struct MetadataHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...12
    let services: BrokerServices

    func handle(_ request: MetadataRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<MetadataResponse>> {
        let version = context.apiVersion
        let snapshot = services.metadata.snapshot
        let allowAutoCreate = services.config.autoCreateTopicsEnable && (version < 4 || request.allowAutoTopicCreation)
        let wantsAll = request.topics == nil || (version == 0 && request.topics?.isEmpty == true)
        let missing = wantsAll ? [] : (request.topics ?? []).compactMap { topic -> String? in
            guard let name = topic.name, snapshot.topics[name] == nil else { return nil }
            return name
        }
        if allowAutoCreate && !missing.isEmpty {
            return services.offLoop(context) { [services] in
                var creationErrors: [String: ApiError] = [:]
                for name in missing {
                    do {
                        if name == OffsetsTopic.name {
                            _ = try services.ensureOffsetsTopic()  // with its own partition count and configs
                        } else {
                            try services.metadata.createTopic(TopicCreation(name: name))
                        }
                    } catch let error as ApiError where error.code != .topicAlreadyExists {
                        creationErrors[name] = error
                    }
                }
                return HandlerReply(build(request, version: version, snapshot: services.metadata.snapshot,
                                          creationErrors: creationErrors, autoCreated: true))
            }
        }
        return reply(build(request, version: version, snapshot: snapshot, creationErrors: [:], autoCreated: false), context)
    }

    private func build(_ request: MetadataRequest, version: Int16, snapshot: ClusterMetadata,
                       creationErrors: [String: ApiError], autoCreated: Bool) -> MetadataResponse {
        var response = MetadataResponse()
        let advertised = services.advertised
        response.brokers = [.init(nodeId: services.nodeId, host: advertised.host, port: Int32(advertised.port),
                                  rack: services.config.rack)]
        response.clusterId = snapshot.clusterId
        response.controllerId = services.nodeId
        let wantsAll = request.topics == nil || (version == 0 && request.topics?.isEmpty == true)
        if wantsAll {
            response.topics = snapshot.topics.values.sorted { $0.name < $1.name }.map { describe($0) }
            return response
        }
        for requested in request.topics ?? [] {
            if let name = requested.name {
                if let topic = snapshot.topics[name] {
                    response.topics.append(describe(topic))
                } else {
                    let error = creationErrors[name]
                        ?? (try? TopicValidation.validateName(name)).map { _ in ApiError(.unknownTopicOrPartition) }
                        ?? ApiError(.invalidTopicException)
                    response.topics.append(.init(errorCode: error.code.rawValue, name: name, topicId: .zero))
                }
            } else if let topic = snapshot.topic(id: requested.topicId) {
                response.topics.append(describe(topic))
            } else {
                response.topics.append(.init(errorCode: ErrorCode.unknownTopicId.rawValue, name: nil,
                                             topicId: requested.topicId))
            }
        }
        return response
    }

    private func describe(_ topic: TopicMetadata) -> MetadataResponse.MetadataResponseTopic {
        let partitions = topic.partitions.enumerated().map { index, partition in
            MetadataResponse.MetadataResponsePartition(
                errorCode: 0, partitionIndex: Int32(index), leaderId: partition.leader,
                leaderEpoch: partition.leaderEpoch, replicaNodes: partition.replicas, isrNodes: partition.replicas,
                offlineReplicas: [])
        }
        return .init(errorCode: 0, name: topic.name, topicId: topic.id, isInternal: topic.name == OffsetsTopic.name,
                     partitions: partitions)
    }
}
