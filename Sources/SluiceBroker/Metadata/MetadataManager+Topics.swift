import KafkaProtocol
import SluiceStorage

/// A topic to create, as CreateTopics and auto-creation describe it.
public struct TopicCreation: Sendable {
    public var name: String
    /// -1: `num.partitions`.
    public var numPartitions: Int32 = -1
    /// -1: `default.replication.factor`.
    public var replicationFactor: Int16 = -1
    /// Explicit replica lists by partition index (then both counts must be -1).
    public var assignments: [Int32: [Int32]] = [:]
    public var configs: [String: String?] = [:]

    public init(name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                assignments: [Int32: [Int32]] = [:], configs: [String: String?] = [:]) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.assignments = assignments
        self.configs = configs
    }
}

extension MetadataManager {
    /// Validates and (unless `validateOnly`) creates a topic with its logs. Throws ``ApiError``
    /// with Kafka's codes: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
    /// INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, INVALID_REQUEST.
    @discardableResult
    public func createTopic(_ creation: TopicCreation, validateOnly: Bool = false) throws -> TopicMetadata {
        try changeLock.withLock {
            var metadata = snapshot
            let topic = try plan(creation, in: metadata)
            if validateOnly { return topic }
            let config = logConfig(for: topic)
            var created: [TopicPartition] = []
            do {
                for index in topic.partitions.indices {
                    let tp = TopicPartition(topic.name, Int32(index))
                    try removeStaleLog(tp)
                    _ = try logs.getOrCreateLog(for: tp, config: config)
                    created.append(tp)
                }
                metadata.topics[topic.name] = topic
                try commit(metadata)
            } catch {
                for tp in created { try? logs.deleteLog(for: tp) }
                logger.error("creating topic \(topic.name) failed: \(error)")
                throw ApiError(.kafkaStorageError, "Creating the logs of topic \(topic.name) failed: \(error)")
            }
            logger.info("created topic \(topic.name) (\(topic.partitions.count) partitions, id \(topic.id))")
            return topic
        }
    }

    private func plan(_ creation: TopicCreation, in metadata: ClusterMetadata) throws -> TopicMetadata {
        let name = creation.name
        try TopicValidation.validateName(name)
        if metadata.topics[name] != nil { throw ApiError(.topicAlreadyExists, "Topic '\(name)' already exists.") }
        let key = TopicValidation.collisionKey(name)
        if let other = metadata.topics.keys.first(where: { TopicValidation.collisionKey($0) == key }) {
            throw ApiError(.invalidTopicException,
                           "Topic '\(name)' collides with existing topic: \(other)")
        }
        var partitions: [PartitionMetadata] = []
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
                try validateReplicas(replicas, partition: index)
                partitions.append(PartitionMetadata(replicas: replicas, leader: replicas[0]))
            }
        } else {
            let count = creation.numPartitions == -1 ? config.numPartitions : creation.numPartitions
            let factor = creation.replicationFactor == -1 ? config.defaultReplicationFactor : creation.replicationFactor
            if count <= 0 {
                throw ApiError(.invalidPartitions, "Number of partitions was set to an invalid non-positive value.")
            }
            if count > TopicValidation.maxPartitions {
                throw ApiError(.invalidPartitions,
                               "Number of partitions \(count) exceeds Sluice's limit of \(TopicValidation.maxPartitions) per topic.")
            }
            if factor <= 0 {
                throw ApiError(.invalidReplicationFactor,
                               "Replication factor must be larger than 0, or -1 to use the default value.")
            }
            if factor > 1 {
                throw ApiError(.invalidReplicationFactor,
                               "Unable to replicate the partition \(factor) time(s): The target replication factor of \(factor) cannot be reached because only 1 broker(s) are registered.")
            }
            partitions = (0..<count).map { _ in PartitionMetadata(replicas: [nodeId], leader: nodeId) }
        }
        var configs: [String: String] = [:]
        for (key, value) in creation.configs {
            guard let value else {
                throw ApiError(.invalidConfig, "Null value not supported for topic configs: \(key)")
            }
            configs[key] = value
        }
        do {
            _ = try LogConfig(overrides: configs, defaults: config.logDefaults)
        } catch {
            throw ApiError(.invalidConfig, "\(error)")
        }
        return TopicMetadata(name: name, id: KafkaUUID.random(), partitions: partitions, configs: configs)
    }

    private func validateReplicas(_ replicas: [Int32], partition: Int32) throws {
        if replicas.isEmpty {
            throw ApiError(.invalidReplicaAssignment, "The manual partition assignment includes an empty replica list.")
        }
        if Set(replicas).count != replicas.count {
            throw ApiError(.invalidReplicaAssignment,
                           "The manual partition assignment includes the broker \(replicas[0]) more than once.")
        }
        if let unknown = replicas.first(where: { $0 != nodeId }) {
            throw ApiError(.invalidReplicaAssignment,
                           "The manual partition assignment includes broker \(unknown), but no such broker is registered.")
        }
    }

    /// Deletes a topic: the metadata first (so that a crash leaves no half-deleted topic
    /// visible), then its logs.
    public func deleteTopic(_ name: String) throws -> TopicMetadata {
        try changeLock.withLock {
            var metadata = snapshot
            guard let topic = metadata.topics[name] else {
                throw ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition.")
            }
            if !config.deleteTopicEnable {
                throw ApiError(.topicDeletionDisabled, "Topic deletion is disabled.")
            }
            metadata.topics[name] = nil
            try commit(metadata)
            for index in topic.partitions.indices {
                do {
                    try logs.deleteLog(for: TopicPartition(name, Int32(index)))
                } catch {
                    logger.error("deleting the log of \(name)-\(index) failed: \(error)")
                }
            }
            logger.info("deleted topic \(name)")
            return topic
        }
    }

    /// Grows a topic to `count` partitions.
    public func createPartitions(topic name: String, count: Int32, assignments: [[Int32]]?,
                                 validateOnly: Bool) throws {
        try changeLock.withLock {
            var metadata = snapshot
            guard var topic = metadata.topics[name] else {
                throw ApiError(.unknownTopicOrPartition, "The topic '\(name)' does not exist.")
            }
            let current = Int32(topic.partitions.count)
            if count == current { throw ApiError(.invalidPartitions, "Topic already has \(current) partitions.") }
            if count < current {
                throw ApiError(.invalidPartitions,
                               "Topic currently has \(current) partitions, which is higher than the requested \(count).")
            }
            if count > TopicValidation.maxPartitions {
                throw ApiError(.invalidPartitions, "Number of partitions \(count) exceeds Sluice's limit of \(TopicValidation.maxPartitions) per topic.")
            }
            var added: [PartitionMetadata] = []
            if let assignments {
                if assignments.count != Int(count - current) {
                    throw ApiError(.invalidReplicaAssignment,
                                   "Attempted to add \(count - current) additional partition(s), but only \(assignments.count) assignment(s) were specified.")
                }
                for (offset, replicas) in assignments.enumerated() {
                    try validateReplicas(replicas, partition: current + Int32(offset))
                    if replicas.count != Int(topic.replicationFactor) {
                        throw ApiError(.invalidReplicaAssignment,
                                       "Inconsistent replication factor between partitions, partition 0 has \(topic.replicationFactor) while partition \(current + Int32(offset)) has \(replicas.count).")
                    }
                    added.append(PartitionMetadata(replicas: replicas, leader: replicas[0]))
                }
            } else {
                added = (current..<count).map { _ in PartitionMetadata(replicas: [nodeId], leader: nodeId) }
            }
            if validateOnly { return }
            let config = logConfig(for: topic)
            for index in current..<count {
                let tp = TopicPartition(name, index)
                do {
                    try removeStaleLog(tp)
                    _ = try logs.getOrCreateLog(for: tp, config: config)
                } catch {
                    throw ApiError(.kafkaStorageError, "Creating the log of \(tp) failed: \(error)")
                }
            }
            topic.partitions += added
            metadata.topics[name] = topic
            try commit(metadata)
            logger.info("topic \(name) now has \(count) partitions")
        }
    }

    /// Deletes a log the metadata does not know (left by a deletion that failed halfway), so
    /// that a new partition starts empty and with its topic's config, as start-up reconciliation
    /// would have left it. Caller holds `changeLock`.
    private func removeStaleLog(_ tp: TopicPartition) throws {
        guard logs.log(for: tp) != nil else { return }
        logger.warning("removing the stale log \(tp) before creating the partition")
        try logs.deleteLog(for: tp)
    }

    /// Replaces a topic's config overrides (after validating them) and applies them to its logs.
    public func setTopicConfigs(topic name: String, to configs: [String: String], validateOnly: Bool) throws {
        try changeLock.withLock {
            var metadata = snapshot
            guard var topic = metadata.topics[name] else {
                throw ApiError(.unknownTopicOrPartition, "The topic '\(name)' does not exist.")
            }
            do {
                _ = try LogConfig(overrides: configs, defaults: config.logDefaults)
            } catch {
                throw ApiError(.invalidConfig, "\(error)")
            }
            if validateOnly { return }
            topic.configs = configs
            metadata.topics[name] = topic
            try commit(metadata)
            applyConfig(of: topic)
            logger.info("topic \(name) configs: \(configs.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        }
    }
}
