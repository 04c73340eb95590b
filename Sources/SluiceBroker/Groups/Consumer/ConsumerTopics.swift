import KafkaProtocol

/// The topics of the cluster as the consumer group coordinator needs them: ids, partition counts,
/// which are internal. The runtime builds one from the broker's metadata image whenever that
/// changes (``GroupCoordinatorEvent/topicsChanged(_:)``); `version` (the image's metadata offset)
/// only grows, so a group can tell whether it has looked at these topics already.
public struct ConsumerTopics: Sendable, Equatable {
    public struct Topic: Sendable, Equatable {
        public var id: KafkaUUID
        public var partitions: Int32
        public var isInternal: Bool

        public init(id: KafkaUUID, partitions: Int32, isInternal: Bool = false) {
            self.id = id
            self.partitions = partitions
            self.isInternal = isInternal
        }
    }

    public var version: Int64
    public private(set) var byName: [String: Topic] = [:]
    public private(set) var names: [KafkaUUID: String] = [:]

    public init(version: Int64, _ topics: [String: Topic]) {
        self.version = version
        self.byName = topics
        for (name, topic) in topics { names[topic.id] = name }
    }

    /// No topics known yet.
    public static let none = ConsumerTopics(version: -1, [:])

    public func topic(_ name: String) -> Topic? { byName[name] }

    public func name(of id: KafkaUUID) -> String? { names[id] }

    /// Partitions (by topic id) of topics that no longer exist or have fewer partitions are not
    /// assignable: drops them.
    func existing(_ set: TopicPartitionSet) -> TopicPartitionSet {
        var result = TopicPartitionSet()
        for (id, partitions) in set.topics {
            guard let name = names[id], let count = byName[name]?.partitions else { continue }
            for p in partitions where p < count { result.insert(id, p) }
        }
        return result
    }
}
