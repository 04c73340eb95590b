import KafkaProtocol
import NIOCore

// Admin requests as the active controller serves them (brokers forward them here; see
// `MetadataManager`): each topic or resource is validated against the controller's image and
// committed before the answer. Results carry Kafka's per-item error codes; NOT_CONTROLLER on a
// node that is not the active controller.

/// CreateTopics (19) on the controller listener, versions 0-7.
struct ControllerCreateTopicsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...7
    let services: ControllerServices

    func handle(_ request: CreateTopicsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreateTopicsResponse>> {
        services.onController(context) { controller, driver, done in
            var response = CreateTopicsResponse()
            let counts = request.topics.map { $0.assignments.isEmpty ? $0.numPartitions : Int32(clamping: $0.assignments.count) }
            if let refusal = controller.partitionsPerRequestRefusal(counts) {
                // Kafka's ReplicationControlManager.validateTotalNumberOfPartitions: nothing is created.
                response.topics = request.topics.map {
                    CreateTopicsResponse.CreatableTopicResult(name: $0.name, errorCode: refusal.code.rawValue,
                                                              errorMessage: refusal.message, configs: nil)
                }
                return done(HandlerReply(response))
            }
            sequentially(request.topics, done: { done(HandlerReply(response)) }) { topic, next in
                var creation = TopicCreation(name: topic.name, numPartitions: topic.numPartitions,
                                             replicationFactor: topic.replicationFactor)
                for assignment in topic.assignments { creation.assignments[assignment.partitionIndex] = assignment.brokerIds }
                for config in topic.configs { creation.configs[config.name] = config.value }
                controller.createTopic(creation, validateOnly: request.validateOnly, driver: driver) { result in
                    var entry = CreateTopicsResponse.CreatableTopicResult(name: topic.name, errorMessage: nil)
                    switch result {
                    case .success(let created):
                        entry.topicId = request.validateOnly ? .zero : created.id
                        entry.numPartitions = Int32(created.partitions.count)
                        entry.replicationFactor = created.replicationFactor
                    case .failure(let error):
                        entry.errorCode = error.code.rawValue
                        entry.errorMessage = error.message
                    }
                    entry.configs = nil
                    response.topics.append(entry)
                    next()
                }
            }
        }
    }
}

/// DeleteTopics (20) on the controller listener, versions 0-6 (by name, or by id in v6).
struct ControllerDeleteTopicsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...6
    let services: ControllerServices

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<DeleteTopicsResponse>> {
        let version = context.apiVersion
        return services.onController(context) { controller, driver, done in
            let targets: [(name: String?, id: KafkaUUID)] = version >= 6
                ? request.topics.map { ($0.name, $0.topicId) } : request.topicNames.map { ($0, .zero) }
            var response = DeleteTopicsResponse()
            sequentially(targets, done: { done(HandlerReply(response)) }) { target, next in
                var entry = DeleteTopicsResponse.DeletableTopicResult(name: target.name, topicId: target.id)
                guard let name = target.name ?? controller.image.topicNames[target.id] else {
                    entry.errorCode = ErrorCode.unknownTopicId.rawValue
                    entry.errorMessage = "This server does not host this topic ID."
                    response.responses.append(entry)
                    return next()
                }
                entry.name = name
                controller.deleteTopic(name, driver: driver) { result in
                    switch result {
                    case .success(let topic): entry.topicId = topic.id
                    case .failure(let error):
                        entry.errorCode = error.code.rawValue
                        entry.errorMessage = error.message
                    }
                    response.responses.append(entry)
                    next()
                }
            }
        }
    }
}

/// CreatePartitions (37) on the controller listener, versions 0-3.
struct ControllerCreatePartitionsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...3
    let services: ControllerServices

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<CreatePartitionsResponse>> {
        services.onController(context) { controller, driver, done in
            var response = CreatePartitionsResponse()
            let added = request.topics.map { topic -> Int32 in
                topic.count - Int32(clamping: controller.image.topics[topic.name]?.partitions.count ?? Int(topic.count))
            }
            if let refusal = controller.partitionsPerRequestRefusal(added) {
                response.results = request.topics.map {
                    CreatePartitionsResponse.CreatePartitionsTopicResult(name: $0.name, errorCode: refusal.code.rawValue,
                                                                         errorMessage: refusal.message)
                }
                return done(HandlerReply(response))
            }
            sequentially(request.topics, done: { done(HandlerReply(response)) }) { topic, next in
                controller.createPartitions(topic: topic.name, count: topic.count, assignments: topic.assignments?.map(\.brokerIds),
                                            validateOnly: request.validateOnly, driver: driver) { error in
                    var entry = CreatePartitionsResponse.CreatePartitionsTopicResult(name: topic.name)
                    entry.errorCode = error?.code.rawValue ?? 0
                    entry.errorMessage = error?.message
                    response.results.append(entry)
                    next()
                }
            }
        }
    }
}

/// AlterConfigs (33) on the controller listener, versions 0-2: replaces topic overrides or a
/// BROKER resource's dynamic configs (type 4, "" or a broker id).
struct ControllerAlterConfigsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...2
    let services: ControllerServices

    func handle(_ request: AlterConfigsRequest, context: RequestContext) -> EventLoopFuture<HandlerReply<AlterConfigsResponse>> {
        services.onController(context) { controller, driver, done in
            var response = AlterConfigsResponse()
            sequentially(request.resources, done: { done(HandlerReply(response)) }) { resource, next in
                var entry = AlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: 0, errorMessage: nil, resourceType: resource.resourceType, resourceName: resource.resourceName)
                guard resource.resourceType == 2 || resource.resourceType == 4 else {
                    entry.errorCode = ErrorCode.invalidRequest.rawValue
                    entry.errorMessage = "Unsupported resource type \(resource.resourceType)"
                    response.responses.append(entry)
                    return next()
                }
                var configs: [String: String] = [:]
                for config in resource.configs {
                    guard let value = config.value else {
                        entry.errorCode = ErrorCode.invalidConfig.rawValue
                        entry.errorMessage = "Null value not supported for configs: \(config.name)"
                        response.responses.append(entry)
                        return next()
                    }
                    configs[config.name] = value
                }
                let finish: (ApiError?) -> Void = { error in
                    entry.errorCode = error?.code.rawValue ?? 0
                    entry.errorMessage = error?.message
                    response.responses.append(entry)
                    next()
                }
                if resource.resourceType == 4 {
                    controller.setBrokerConfigs(resource: resource.resourceName, to: configs,
                                                validateOnly: request.validateOnly, driver: driver, done: finish)
                } else {
                    controller.setTopicConfigs(topic: resource.resourceName, to: configs, validateOnly: request.validateOnly,
                                               driver: driver, done: finish)
                }
            }
        }
    }
}

/// AlterPartitionReassignments (45) on the controller listener, version 0.
struct ControllerAlterPartitionReassignmentsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let services: ControllerServices

    func handle(_ request: AlterPartitionReassignmentsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<AlterPartitionReassignmentsResponse>> {
        services.onController(context) { controller, driver, done in
            var response = AlterPartitionReassignmentsResponse()
            response.errorMessage = nil
            guard controller.isActive else {
                response.errorCode = ErrorCode.notController.rawValue
                return done(HandlerReply(response))
            }
            let items = request.topics.flatMap { topic in topic.partitions.map { (topic.name, $0) } }
            var results: [String: [AlterPartitionReassignmentsResponse.ReassignablePartitionResponse]] = [:]
            sequentially(items, done: {
                response.responses = request.topics.map { .init(name: $0.name, partitions: results[$0.name] ?? []) }
                done(HandlerReply(response))
            }) { item, next in
                controller.reassign(topic: item.0, partition: item.1.partitionIndex, target: item.1.replicas, driver: driver) { error in
                    results[item.0, default: []].append(.init(partitionIndex: item.1.partitionIndex,
                                                              errorCode: error?.code.rawValue ?? 0, errorMessage: error?.message))
                    next()
                }
            }
        }
    }
}

/// ListPartitionReassignments (46) on the controller listener, version 0.
struct ControllerListPartitionReassignmentsHandler: ApiHandler {
    static let versions: ClosedRange<Int16> = 0...0
    let services: ControllerServices

    func handle(_ request: ListPartitionReassignmentsRequest, context: RequestContext)
        -> EventLoopFuture<HandlerReply<ListPartitionReassignmentsResponse>> {
        services.onController(context) { controller, _, done in
            guard controller.isActive else {
                var response = ListPartitionReassignmentsResponse()
                response.errorCode = ErrorCode.notController.rawValue
                return done(HandlerReply(response))
            }
            var response = controller.listReassignments(request.topics?.map { ($0.name, $0.partitionIndexes) })
            response.errorMessage = nil
            done(HandlerReply(response))
        }
    }
}

/// Runs `body` for each item in turn (each calls `next` when done), then `done`.
func sequentially<T>(_ items: [T], done: @escaping () -> Void, _ body: @escaping (T, @escaping () -> Void) -> Void) {
    var iterator = items.makeIterator()
    func step() {
        guard let item = iterator.next() else { return done() }
        body(item, step)
    }
    step()
}
