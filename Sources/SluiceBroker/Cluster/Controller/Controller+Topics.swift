import KafkaProtocol
import SluiceStorage

// Topics, partitions, topic configs and producer-id blocks.
extension Controller {
    /// Validates and (unless `validateOnly`) creates a topic with its partitions placed on the
    /// unfenced brokers. The result is the topic as committed (or as it would be).
    func createTopic(_ creation: TopicCreation, validateOnly: Bool, driver: RaftDriver,
                     done: @escaping (Result<TopicImage, ApiError>) -> Void) {
        guard isActive else { return done(.failure(Self.notController(driver))) }
        let topic: TopicImage
        do {
            topic = try planTopic(creation)
        } catch let error as ApiError {
            return done(.failure(error))
        } catch {
            return done(.failure(ApiError(.unknownServerError, "\(error)")))
        }
        if validateOnly { return done(.success(topic)) }
        var records: [MetadataRecord] = [.topic(name: topic.name, id: topic.id)]
        records += topic.partitions.map(MetadataRecord.partition)
        records += topic.configs.sorted { $0.key < $1.key }.map {
            .config(resourceType: 2, resourceName: topic.name, name: $0.key, value: $0.value)
        }
        commit(records, driver: driver, name: "creating topic \(topic.name) (\(topic.partitions.count) partitions)") { [logger] error in
            if let error { return done(.failure(error)) }
            if topic.partitions.count <= 100 {
                logger.info("created topic \(topic.name) (id \(topic.id), \(topic.partitions.map { $0.replicas }))")
            } else {
                logger.info("created topic \(topic.name) (id \(topic.id), \(topic.partitions.count) partitions)")
            }
            done(.success(topic))
        }
    }

    /// POLICY_VIOLATION when one request would create more than `settings.maxPartitionsPerRequest`
    /// partitions (`counts`: per topic; -1 is `num.partitions`, other non-positive counts add
    /// nothing), as Kafka's controller refuses it — at once, before any work or record.
    func partitionsPerRequestRefusal(_ counts: [Int32]) -> ApiError? {
        TopicValidation.partitionsPerRequestRefusal(counts, defaultPartitions: settings.numPartitions,
                                                    limit: settings.maxPartitionsPerRequest)
    }

    private func planTopic(_ creation: TopicCreation) throws -> TopicImage {
        let name = creation.name
        try TopicValidation.validateName(name)
        if image.topics[name] != nil { throw ApiError(.topicAlreadyExists, "Topic '\(name)' already exists.") }
        let key = TopicValidation.collisionKey(name)
        if let other = image.topics.keys.first(where: { TopicValidation.collisionKey($0) == key }) {
            throw ApiError(.invalidTopicException, "Topic '\(name)' collides with existing topic: \(other)")
        }
        let id = KafkaUUID.random()
        var assignments: [[Int32]] = []
        if !creation.assignments.isEmpty {
            if creation.numPartitions != -1 || creation.replicationFactor != -1 {
                throw ApiError(.invalidRequest,
                               "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
            }
            for index in 0..<Int32(creation.assignments.count) {
                guard let replicas = creation.assignments[index] else {
                    throw ApiError(.invalidReplicaAssignment,
                                   "Partitions should be consecutive integers starting with 0, partition \(index) is missing.")
                }
                try validateAssignment(replicas)
                assignments.append(replicas)
            }
        } else {
            let count = creation.numPartitions == -1 ? settings.numPartitions : creation.numPartitions
            let factor = creation.replicationFactor == -1 ? settings.defaultReplicationFactor : creation.replicationFactor
            if count <= 0 { throw ApiError(.invalidPartitions, "Number of partitions was set to an invalid non-positive value.") }
            if count > TopicValidation.maxPartitions {
                throw ApiError(.invalidPartitions,
                               "Number of partitions \(count) exceeds Sluice's limit of \(TopicValidation.maxPartitions) per topic.")
            }
            if factor <= 0 {
                throw ApiError(.invalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.")
            }
            assignments = try place(count: count, factor: factor)
        }
        var configs: [String: String] = [:]
        for (key, value) in creation.configs {
            guard let value else { throw ApiError(.invalidConfig, "Null value not supported for topic configs: \(key)") }
            configs[key] = value
        }
        try validateTopicConfigs(configs)
        let partitions = assignments.enumerated().map { index, replicas in
            let leader = PartitionElection.cleanLeader(
                PartitionRegistration(topicId: id, partition: 0, replicas: replicas, isr: replicas, leader: -1),
                isr: replicas, image: image) ?? -1
            return PartitionRegistration(topicId: id, partition: Int32(index), replicas: replicas, isr: replicas, leader: leader)
        }
        return TopicImage(name: name, id: id, partitions: partitions, configs: configs)
    }

    func place(count: Int32, factor: Int16, firstPartition: Int32 = 0) throws -> [[Int32]] {
        do {
            return try ReplicaPlacement.place(count: count, factor: factor, firstPartition: firstPartition,
                                              brokers: image.activeBrokers, seed: Int.random(in: 0..<1_000_000))
        } catch {
            throw ApiError(.invalidReplicationFactor,
                           "Unable to replicate the partition \(factor) time(s): The target replication factor of \(factor) cannot be reached because only \(error.available) broker(s) are registered.")
        }
    }

    func validateAssignment(_ replicas: [Int32]) throws {
        if replicas.isEmpty {
            throw ApiError(.invalidReplicaAssignment, "The manual partition assignment includes an empty replica list.")
        }
        if Set(replicas).count != replicas.count {
            throw ApiError(.invalidReplicaAssignment, "The manual partition assignment includes the broker \(replicas[0]) more than once.")
        }
        if let unknown = replicas.first(where: { image.brokers[$0] == nil }) {
            throw ApiError(.invalidReplicaAssignment,
                           "The manual partition assignment includes broker \(unknown), but no such broker is registered.")
        }
    }

    func validateTopicConfigs(_ configs: [String: String]) throws {
        do {
            _ = try LogConfig(overrides: configs, defaults: settings.logDefaults)
        } catch {
            throw ApiError(.invalidConfig, "\(error)")
        }
    }

    func deleteTopic(_ name: String, driver: RaftDriver, done: @escaping (Result<TopicImage, ApiError>) -> Void) {
        guard isActive else { return done(.failure(Self.notController(driver))) }
        if let refusal = Self.internalTopicDeletionRefusal(name) { return done(.failure(refusal)) }
        guard let topic = image.topics[name] else {
            return done(.failure(ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition.")))
        }
        if !settings.deleteTopicEnable { return done(.failure(ApiError(.topicDeletionDisabled, "Topic deletion is disabled."))) }
        commit([.removeTopic(id: topic.id)], driver: driver) { [logger] error in
            if let error { return done(.failure(error)) }
            logger.info("deleted topic \(name)")
            done(.success(topic))
        }
    }

    /// Internal topics are never deleted, whatever broker the request reached (they all forward
    /// DeleteTopics here). Deleting `__consumer_offsets` loses every group's committed offsets,
    /// `__transaction_state` every transaction's state; `__cluster_metadata` is the Raft log itself.
    ///
    /// Kafka 3.9's controller does not refuse this (with no authorizer it deletes the topic, and
    /// only its old ZooKeeper-era `kafka-topics.sh` refused, client-side: "Topic __consumer_offsets
    /// is a kafka internal topic and is not allowed to be marked for deletion."). Sluice refuses in
    /// the controller, with INVALID_TOPIC_EXCEPTION — "the request attempted to perform an operation
    /// on an invalid topic", which names the topic as the problem and which every client treats as
    /// final (not retriable) — and that sentence.
    static func internalTopicDeletionRefusal(_ name: String) -> ApiError? {
        let what: String
        switch name {
        case "__consumer_offsets": what = "it holds the consumer groups' committed offsets"
        case "__transaction_state": what = "it holds the state of every transaction"
        case "__cluster_metadata": what = "it is the cluster's metadata log"
        default: return nil
        }
        return ApiError(.invalidTopicException,
                        "Topic \(name) is a Kafka internal topic and is not allowed to be deleted: \(what).")
    }

    func createPartitions(topic name: String, count: Int32, assignments: [[Int32]]?, validateOnly: Bool,
                          driver: RaftDriver, done: @escaping (ApiError?) -> Void) {
        guard isActive else { return done(Self.notController(driver)) }
        do {
            guard let topic = image.topics[name] else {
                throw ApiError(.unknownTopicOrPartition, "The topic '\(name)' does not exist.")
            }
            let current = Int32(topic.partitions.count)
            if count == current { throw ApiError(.invalidPartitions, "Topic already has \(current) partitions.") }
            if count < current {
                throw ApiError(.invalidPartitions, "Topic currently has \(current) partitions, which is higher than the requested \(count).")
            }
            if count > TopicValidation.maxPartitions {
                throw ApiError(.invalidPartitions, "Number of partitions \(count) exceeds Sluice's limit of \(TopicValidation.maxPartitions) per topic.")
            }
            var added: [[Int32]]
            if let assignments {
                if assignments.count != Int(count - current) {
                    throw ApiError(.invalidReplicaAssignment,
                                   "Attempted to add \(count - current) additional partition(s), but only \(assignments.count) assignment(s) were specified.")
                }
                for (offset, replicas) in assignments.enumerated() {
                    try validateAssignment(replicas)
                    if replicas.count != Int(topic.replicationFactor) {
                        throw ApiError(.invalidReplicaAssignment,
                                       "Inconsistent replication factor between partitions, partition 0 has \(topic.replicationFactor) while partition \(current + Int32(offset)) has \(replicas.count).")
                    }
                }
                added = assignments
            } else {
                added = try place(count: count - current, factor: topic.replicationFactor, firstPartition: current)
            }
            if validateOnly { return done(nil) }
            let records = added.enumerated().map { offset, replicas -> MetadataRecord in
                let stub = PartitionRegistration(topicId: topic.id, partition: 0, replicas: replicas, isr: replicas, leader: -1)
                let leader = PartitionElection.cleanLeader(stub, isr: replicas, image: image) ?? -1
                return .partition(PartitionRegistration(topicId: topic.id, partition: current + Int32(offset),
                                                        replicas: replicas, isr: replicas, leader: leader))
            }
            commit(records, driver: driver, done: done)
        } catch let error as ApiError {
            done(error)
        } catch {
            done(ApiError(.unknownServerError, "\(error)"))
        }
    }

    /// Replaces a topic's config overrides with `configs`.
    func setTopicConfigs(topic name: String, to configs: [String: String], validateOnly: Bool,
                         driver: RaftDriver, done: @escaping (ApiError?) -> Void) {
        guard isActive else { return done(Self.notController(driver)) }
        guard let topic = image.topics[name] else {
            return done(ApiError(.unknownTopicOrPartition, "The topic '\(name)' does not exist."))
        }
        do {
            try validateTopicConfigs(configs)
        } catch let error as ApiError {
            return done(error)
        } catch {
            return done(ApiError(.invalidConfig, "\(error)"))
        }
        if validateOnly { return done(nil) }
        var records: [MetadataRecord] = []
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) where topic.configs[key] != value {
            records.append(.config(resourceType: 2, resourceName: name, name: key, value: value))
        }
        for key in topic.configs.keys.sorted() where configs[key] == nil {
            records.append(.config(resourceType: 2, resourceName: name, name: key, value: nil))
        }
        commit(records, driver: driver, done: done)
    }

    /// AllocateProducerIds: the next block of ids, for the asking broker.
    func allocateProducerIds(brokerId: Int32, brokerEpoch: Int64, driver: RaftDriver,
                             done: @escaping (Result<(start: Int64, length: Int32), ApiError>) -> Void) {
        guard isActive else { return done(.failure(Self.notController(driver))) }
        guard let broker = image.brokers[brokerId], broker.epoch == brokerEpoch || brokerEpoch < 0 else {
            return done(.failure(ApiError(.staleBrokerEpoch, "Broker \(brokerId) epoch \(brokerEpoch) is not current.")))
        }
        let start = image.nextProducerIdBlock
        let size = settings.producerIdBlockSize
        commit([.producerIds(brokerId: brokerId, brokerEpoch: brokerEpoch, nextProducerId: start + size)], driver: driver) { error in
            if let error { return done(.failure(error)) }
            done(.success((start, Int32(size))))
        }
    }
}
