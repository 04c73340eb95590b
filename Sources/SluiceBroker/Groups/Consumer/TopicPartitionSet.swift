import KafkaProtocol

/// Partitions by topic id, as KIP-848's records and APIs carry them (an assignment, what a member
/// owns, what it must revoke). Topics without partitions are never kept, so two sets holding the
/// same partitions are equal.
public struct TopicPartitionSet: Hashable, Sendable, CustomStringConvertible {
    public private(set) var topics: [KafkaUUID: Set<Int32>] = [:]

    public init() {}

    public init(_ topics: [KafkaUUID: Set<Int32>]) {
        for (id, partitions) in topics where !partitions.isEmpty { self.topics[id] = partitions }
    }

    public init(_ pairs: some Sequence<(KafkaUUID, Int32)>) {
        for (id, p) in pairs { insert(id, p) }
    }

    public static let empty = TopicPartitionSet()

    public var isEmpty: Bool { topics.isEmpty }

    public var count: Int { topics.values.reduce(0) { $0 + $1.count } }

    public func contains(_ topic: KafkaUUID, _ partition: Int32) -> Bool {
        topics[topic]?.contains(partition) ?? false
    }

    public func partitions(of topic: KafkaUUID) -> Set<Int32> { topics[topic] ?? [] }

    /// Every (topic id, partition), sorted (topic ids by their halves, then partitions).
    public var sortedPairs: [(KafkaUUID, Int32)] {
        topics.keys.sorted(by: KafkaUUID.ordered).flatMap { id in topics[id]!.sorted().map { (id, $0) } }
    }

    public mutating func insert(_ topic: KafkaUUID, _ partition: Int32) {
        topics[topic, default: []].insert(partition)
    }

    public mutating func remove(_ topic: KafkaUUID, _ partition: Int32) {
        guard var set = topics[topic] else { return }
        set.remove(partition)
        topics[topic] = set.isEmpty ? nil : set
    }

    public func union(_ other: TopicPartitionSet) -> TopicPartitionSet {
        var result = self
        for (id, partitions) in other.topics { result.topics[id, default: []].formUnion(partitions) }
        return result
    }

    public func subtracting(_ other: TopicPartitionSet) -> TopicPartitionSet {
        var result = TopicPartitionSet()
        for (id, partitions) in topics {
            let left = partitions.subtracting(other.topics[id] ?? [])
            if !left.isEmpty { result.topics[id] = left }
        }
        return result
    }

    public func intersection(_ other: TopicPartitionSet) -> TopicPartitionSet {
        var result = TopicPartitionSet()
        for (id, partitions) in topics {
            let both = partitions.intersection(other.topics[id] ?? [])
            if !both.isEmpty { result.topics[id] = both }
        }
        return result
    }

    public func isSubset(of other: TopicPartitionSet) -> Bool {
        topics.allSatisfy { id, partitions in partitions.isSubset(of: other.topics[id] ?? []) }
    }

    /// Only the partitions of these topics.
    public func filter(topics keep: Set<KafkaUUID>) -> TopicPartitionSet {
        TopicPartitionSet(topics.filter { keep.contains($0.key) })
    }

    public var description: String {
        sortedPairs.map { "\($0.0.base64.prefix(6))-\($0.1)" }.joined(separator: ",")
    }
}

extension KafkaUUID {
    /// A total order for deterministic output (Kafka has none; any fixed order will do).
    static func ordered(_ a: KafkaUUID, _ b: KafkaUUID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}
